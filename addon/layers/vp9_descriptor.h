// The VP9 payload descriptor (RFC 9628 §4.2): what a forwarder reads to
// drop spatial and temporal layers of one SVC stream (SID, TID), to know
// where a layer frame begins and ends (B, E), whether it can be started
// from (P: inter-picture predicted, D: inter-layer dependent, U: temporal
// switching point), and the scalability structure (SS) a key frame
// announces: how many spatial layers there are and their sizes.
//
// Both modes are read: flexible (F=1, reference picture-id differences in
// the descriptor; libwebrtc uses it for spatial SVC) and non-flexible (F=0,
// a TL0PICIDX and a picture group in the SS). Parsing is bounds-checked and
// all-or-nothing; offsets point into the payload it was given.
#ifndef WEBRTC_AGENT_ADDON_LAYERS_VP9_DESCRIPTOR_H_
#define WEBRTC_AGENT_ADDON_LAYERS_VP9_DESCRIPTOR_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace webrtc_agent::layers {

struct Vp9Descriptor {
  static constexpr size_t kMaxSpatial = 8;  // N_S and SID are 3 bits
  static constexpr size_t kMaxRefs = 3;

  bool inter_picture = false;  // P: the frame references an earlier picture
  bool has_layers = false;     // L: TID/U/SID/D present
  bool flexible = false;       // F
  bool begin_frame = false;    // B: first packet of a layer frame
  bool end_frame = false;      // E: last packet of a layer frame
  bool has_ss = false;         // V: the scalability structure follows
  bool not_upper_ref = false;  // Z: no higher spatial layer of this picture uses it

  bool has_picture_id = false;  // I
  bool long_picture_id = false; // M: 15 bits (else 7)
  uint16_t picture_id = 0;
  size_t picture_id_offset = 0;

  uint8_t tid = 0;              // temporal layer (0 without L)
  bool switching_up = false;    // U
  uint8_t sid = 0;              // spatial layer (0 without L)
  bool inter_layer = false;     // D: depends on the lower spatial layer of this picture

  bool has_tl0_pic_idx = false; // non-flexible mode with L
  uint8_t tl0_pic_idx = 0;
  size_t tl0_pic_idx_offset = 0;

  // Flexible mode, P=1: the referenced pictures, as picture-id differences.
  uint8_t ref_count = 0;
  std::array<uint8_t, kMaxRefs> p_diff{};

  // SS (V=1): N_S + 1 spatial layers, and their sizes when Y=1.
  uint8_t ss_spatial_layers = 0;
  bool ss_has_resolution = false;
  std::array<uint16_t, kMaxSpatial> ss_width{};
  std::array<uint16_t, kMaxSpatial> ss_height{};
  uint8_t ss_pictures_in_group = 0;  // N_G (G=1)

  size_t size = 0;  // the descriptor's length: the VP9 frame data follows

  // The first packet of a layer frame that needs no earlier picture: on
  // SID 0 that is a key frame; above it, a spatial switching-up point.
  bool intra_start() const { return begin_frame && !inter_picture; }
};

// False (and `out` reset) if `payload` is shorter than the descriptor it
// announces, or a flexible-mode reference list runs past its 3 entries.
bool ParseVp9Descriptor(const uint8_t* payload, size_t size, Vp9Descriptor* out);

}  // namespace webrtc_agent::layers

#endif  // WEBRTC_AGENT_ADDON_LAYERS_VP9_DESCRIPTOR_H_
