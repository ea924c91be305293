{
  "targets": [
    {
      "target_name": "webrtc_agent_ring",
      "sources": [
        "../../addon/addon.cc",
        "../../addon/loop/timer.cc",
        "../../addon/ring/spsc_ring.cc",
        "../../addon/ring/ring_reader.cc",
        "ring_pattern.cc",
        "ring_binding.cc",
        "modules.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../../addon", "."],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"]
    }
  ]
}
