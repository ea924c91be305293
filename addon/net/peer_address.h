// How the WebRTC path tells an ICE-TCP peer from a UDP one.
//
// Every layer of the WebRTC path (the server's demultiplexer, the
// transports, ICE) names a peer by its sockaddr_in. A TCP connection's
// remote ip:port lives in the same number space as UDP ones: a NAT maps
// UDP and TCP ports independently, so one client's UDP address can equal
// another client's TCP address, and a candidate pair is a 5-tuple with the
// protocol in it. So the protocol travels with the address: a TCP peer's
// sockaddr_in carries a mark in sin_zero, the padding the kernel zeroes on
// every address it hands us and ignores on the way out. Copies of the
// address keep the mark, so code that only passes addresses around needs
// no change to work over TCP; the places that turn an address into a key
// (tuple tables, ICE pairs) and the send path read it.
#ifndef WEBRTC_AGENT_ADDON_NET_PEER_ADDRESS_H_
#define WEBRTC_AGENT_ADDON_NET_PEER_ADDRESS_H_

#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace webrtc_agent {
namespace net {

constexpr unsigned char kTcpMark = 0x54;  // 'T'

inline void MarkTcp(sockaddr_in* a) { a->sin_zero[0] = kTcpMark; }
inline bool IsTcp(const sockaddr_in& a) { return a.sin_zero[0] == kTcpMark; }
// A UDP peer as received: the padding cleared, whatever it held.
inline void ClearMark(sockaddr_in* a) { std::memset(a->sin_zero, 0, sizeof(a->sin_zero)); }

// ip:port (and the protocol) as one number, for hash tables.
inline uint64_t PeerKey(const sockaddr_in& a) {
  return (static_cast<uint64_t>(IsTcp(a)) << 48) |
         (static_cast<uint64_t>(a.sin_addr.s_addr) << 16) | a.sin_port;
}

// The address a PeerKey was made from, the TCP mark included.
inline sockaddr_in PeerFromKey(uint64_t key) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = static_cast<uint32_t>(key >> 16);
  a.sin_port = static_cast<uint16_t>(key & 0xffff);
  if ((key >> 48) != 0) MarkTcp(&a);
  return a;
}

}  // namespace net
}  // namespace webrtc_agent

#endif  // WEBRTC_AGENT_ADDON_NET_PEER_ADDRESS_H_
