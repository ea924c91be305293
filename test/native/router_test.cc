// Unit tests of the router's parts (addon/router: KeyframeGate, TrackTable,
// Fanout, RetransmissionResponder with its SendBuffer, UpstreamFeedback,
// RtxUnwrapper, RtcpScheduler with SrMapping and BitrateMeter; layered
// subscriptions through the table and the fan-out; LayerControl's dynacast,
// switch key frames and reaction to a falling estimate), each in its
// own *_part_test.cc, run from this one program so the addon's sources are
// compiled once. Built with ASan+UBSan by test/native/router.test.ts. The
// parts are sans-I/O apart from the transports' sends, which FakeTransport
// (router_fakes.h) keeps for the checks.
#include "check.h"
#include "router_fakes.h"

int main() {
  using namespace webrtc_agent::native_test;
  KeyframeGateTests();
  TrackTableTests();
  FanoutTests();
  RetransmissionResponderTests();
  UpstreamFeedbackTests();
  RtxUnwrapperTests();
  RtcpSchedulerTests();
  LayeredFanoutTests();
  SvcFanoutTests();
  RepairBudgetTests();
  LayerControlTests();
  LayerControlSwitchTests();
  return ReportChecks("router_test");
}
