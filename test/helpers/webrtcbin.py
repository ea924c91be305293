#!/usr/bin/python3
"""GStreamer webrtcbin as a WebRTC client for the tests, driven over
stdin/stdout with one JSON object per line (there is no PyPI here, so NATS
stays in the Node test that runs this).

  argv: <role: publish|subscribe> <bundle-policy> <local ip>
  out:  {"offer": sdp}                         once the offer is made
  in:   {"answer": sdp}                        the agent's answer
  in:   {"stats": true}  -> out: {"frames": decoded video frames, "audio": audio buffers, "ice": state}
  stdin closed: the pipeline stops and the process ends.

publish sends VP8 (videotestsrc, 320x240 at 15 fps) and Opus; subscribe
takes audio and video (recvonly) and decodes what arrives. libnice is told
to use only the given local address (the tests keep traffic on their own
addresses).
"""
import json
import sys
import threading

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

Gst.init(None)
role, policy, local_ip = sys.argv[1], sys.argv[2], sys.argv[3]
counts = {'frames': 0, 'audio': 0}
out_lock = threading.Lock()


def send(obj):
    with out_lock:
        sys.stdout.write(json.dumps(obj) + '\n')
        sys.stdout.flush()


if role == 'publish':
    pipe = Gst.parse_launch(
        'webrtcbin name=w bundle-policy=%s '
        'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! '
        'vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! '
        'application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! w. '
        'audiotestsrc is-live=true wave=sine ! opusenc ! rtpopuspay pt=111 ! '
        'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w.' % policy)
else:
    pipe = Gst.parse_launch('webrtcbin name=w bundle-policy=%s fakesrc num-buffers=0 ! fakesink' % policy)
w = pipe.get_by_name('w')
# PyGObject 3.42 frees the agent unless Python holds a reference.
ice = w.get_property('ice-agent')
ice.emit('add-local-ip-address', local_ip)


def count(kind):
    def probe(_pad, _info):
        counts[kind] += 1
        return Gst.PadProbeReturn.OK
    return probe


def on_pad(_w, pad):
    if pad.get_direction() != Gst.PadDirection.SRC:
        return
    caps = pad.get_current_caps().to_string()
    if 'media=(string)video' in caps:
        desc = 'rtpvp8depay ! vp8dec ! fakesink name=v sync=false'
        kind = 'frames'
    else:
        desc = 'rtpopusdepay ! fakesink sync=false'
        kind = 'audio'
    b = Gst.parse_bin_from_description(desc, True)
    pipe.add(b)
    b.sync_state_with_parent()
    pad.link(b.get_static_pad('sink'))
    sink = [e for e in b.iterate_elements() if e.get_factory().get_name() == 'fakesink'][0]
    sink.get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, count(kind))


w.connect('pad-added', on_pad)


def make_offer():
    promise = Gst.Promise.new()
    w.emit('create-offer', None, promise)
    promise.wait()
    reply = promise.get_reply()
    offer = reply.get_value('offer')
    text = offer.sdp.as_text()
    # A fresh description from the text: PyGObject 3.42 may free the reply's
    # boxed copy under us (set-local-description then sees no message).
    _, msg = GstSdp.SDPMessage.new_from_text(text)
    p = Gst.Promise.new()
    w.emit('set-local-description', GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg), p)
    p.wait()
    send({'offer': text})
    return False


def apply_answer(text):
    _, msg = GstSdp.SDPMessage.new_from_text(text)
    answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
    p = Gst.Promise.new()
    w.emit('set-remote-description', answer, p)
    p.wait()
    return False


if role == 'subscribe':
    for caps in ('application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000',
                 'application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000'):
        w.emit('add-transceiver', GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, Gst.Caps.from_string(caps))
    pipe.set_state(Gst.State.PLAYING)
    GLib.idle_add(make_offer)
else:
    w.connect('on-negotiation-needed', lambda _w: GLib.idle_add(make_offer))
    pipe.set_state(Gst.State.PLAYING)

loop = GLib.MainLoop()


def read_stdin():
    for line in sys.stdin:
        msg = json.loads(line)
        if 'answer' in msg:
            GLib.idle_add(apply_answer, msg['answer'])
        elif 'stats' in msg:
            state = w.get_property('ice-connection-state')
            send({'frames': counts['frames'], 'audio': counts['audio'], 'ice': state.value_nick})
    GLib.idle_add(loop.quit)


threading.Thread(target=read_stdin, daemon=True).start()
# Bounded: a test that forgets to close stdin does not leave this behind.
GLib.timeout_add_seconds(120, loop.quit)
loop.run()
pipe.set_state(Gst.State.NULL)
