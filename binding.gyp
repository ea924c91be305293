{
  "targets": [
    {
      "target_name": "webrtc_agent",
      "sources": [
        "addon/addon.cc",
        "addon/loop/timer.cc",
        "addon/modules.cc",
        "addon/net/udp_socket.cc",
        "addon/net/rfc4571_framer.cc",
        "addon/net/tcp_connection.cc",
        "addon/net/tcp_server.cc",
        "addon/transport/transport.cc",
        "addon/transport/plain_transport.cc",
        "addon/dtls/dtls_transport.cc",
        "addon/dtls/dtls_context.cc",
        "addon/dtls/certificate.cc",
        "addon/dtls/ssl_ptr.cc",
        "addon/srtp/srtp_session.cc",
        "addon/srtp/srtp_crypto.cc",
        "addon/ice/ice_lite.cc",
        "addon/ice/stun_message.cc",
        "addon/transport/webrtc_server.cc",
        "addon/transport/webrtc_transport.cc",
        "addon/transport/internal_server.cc",
        "addon/transport/internal_transport.cc",
        "addon/router/rtp_rewriter.cc",
        "addon/router/keyframe_gate.cc",
        "addon/router/track_table.cc",
        "addon/router/fanout.cc",
        "addon/router/rtx_unwrapper.cc",
        "addon/router/retransmission_responder.cc",
        "addon/router/upstream_feedback.cc",
        "addon/router/sr_mapping.cc",
        "addon/router/rtcp_scheduler.cc",
        "addon/router/router.cc",
        "addon/router/peer_links.cc",
        "addon/router/router_binding.cc",
        "addon/router/stats_binding.cc",
        "addon/ring/spsc_ring.cc",
        "addon/ring/ring_reader.cc",
        "addon/rtp/rtp_packet.cc",
        "addon/rtp/rtcp.cc",
        "addon/rtp/keyframe.cc",
        "addon/rtp/picture_size.cc",
        "addon/rtp/receive_stats.cc",
        "addon/rtp/nack_generator.cc",
        "addon/rtp/retransmitter.cc",
        "addon/rtp/twcc_feedback.cc",
        "addon/rtp/transport_cc.cc",
        "addon/rtp/transport_sequence.cc",
        "addon/bwe/send_history.cc",
        "addon/bwe/inter_arrival.cc",
        "addon/bwe/trendline_estimator.cc",
        "addon/bwe/overuse_detector.cc",
        "addon/bwe/aimd_rate_control.cc",
        "addon/bwe/acked_bitrate_estimator.cc",
        "addon/bwe/loss_based_estimator.cc",
        "addon/bwe/probe_bitrate_estimator.cc",
        "addon/bwe/probe_controller.cc",
        "addon/bwe/send_side_bwe.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "addon"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"],
      "conditions": [
        ["OS=='linux'", {
          "cflags_cc+": []
        }]
      ]
    }
  ]
}
