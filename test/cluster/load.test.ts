/**
 * The /proc parsers and the load arithmetic, on sample text.
 */
import t from 'tap';
import {
  cpuLoad,
  LoadCollector,
  networkLoad,
  parseDefaultRoute,
  parseMemInfo,
  parseNetDev,
  parseProcStat,
} from '../../src/cluster/LoadCollector';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000000    1000    0    0    0     0          0         0  2000000    1000    0    0    0     0       0          0
  eth0: 125000000  90000    0    0    0     0          0         0 62500000   80000    0    0    0     0       0          0
`;

const STAT = `cpu  100 0 100 700 100 0 0 0 0 0
cpu0 50 0 50 350 50 0 0 0 0 0
intr 12345
`;

const ROUTE = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	0000A8C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
eth0	00000000	0100A8C0	0003	0	0	0	00000000	0	0	0
`;

const MEMINFO = `MemTotal:       16000000 kB
MemFree:         1000000 kB
MemAvailable:    4000000 kB
`;

t.test('parseNetDev', async (t) => {
  const m = parseNetDev(NET_DEV);
  t.same([...m.keys()], ['lo', 'eth0']);
  t.same(m.get('eth0'), { rxBytes: 125000000, txBytes: 62500000 });
  t.same(m.get('lo'), { rxBytes: 1000000, txBytes: 2000000 });
  t.equal(parseNetDev('garbage\nx: 1 2 3\n').size, 0, 'short or bad lines skipped');
});

t.test('parseProcStat: aggregate line, idle includes iowait', async (t) => {
  t.same(parseProcStat(STAT), { total: 1000, idle: 800 });
  t.equal(parseProcStat('intr 1\n'), undefined);
});

t.test('parseDefaultRoute', async (t) => {
  t.equal(parseDefaultRoute(ROUTE), 'eth0');
  t.equal(parseDefaultRoute(ROUTE.split('\n').slice(0, 2).join('\n')), undefined, 'no default route');
});

t.test('parseMemInfo: used fraction from MemAvailable', async (t) => {
  t.equal(parseMemInfo(MEMINFO), 0.75);
  t.equal(parseMemInfo('MemTotal: 100 kB\n'), undefined);
});

t.test('networkLoad: max(rx, tx) Mbit/s / scale', async (t) => {
  // 125 MB rx in 1 s = 1000 Mbit/s; tx 500 Mbit/s -> 1000/1000
  t.equal(networkLoad({ rxBytes: 0, txBytes: 0 }, { rxBytes: 125e6, txBytes: 62.5e6 }, 1000, 1000), 1);
  t.equal(networkLoad({ rxBytes: 0, txBytes: 0 }, { rxBytes: 12.5e6, txBytes: 25e6 }, 2000, 1000), 0.1);
  t.equal(networkLoad({ rxBytes: 10, txBytes: 10 }, { rxBytes: 5, txBytes: 5 }, 1000, 1000), 0, 'counter reset -> 0');
  t.equal(networkLoad({ rxBytes: 0, txBytes: 0 }, { rxBytes: 1, txBytes: 1 }, 0, 1000), 0);
});

t.test('cpuLoad: busy fraction between samples', async (t) => {
  t.equal(cpuLoad({ total: 1000, idle: 800 }, { total: 2000, idle: 1300 }), 0.5);
  t.equal(cpuLoad({ total: 1000, idle: 800 }, { total: 1000, idle: 800 }), 0);
});

t.test('LoadCollector over fake /proc: the metric chosen drives load', async (t) => {
  let rx = 0;
  let idle = 800;
  let total = 1000;
  const read = (f: string): string | undefined => {
    if (f === '/proc/net/route') return ROUTE;
    if (f === '/proc/net/dev') return `h\nh\n  eth0: ${rx} 0 0 0 0 0 0 0 ${rx / 2} 0 0 0 0 0 0 0\n`;
    if (f === '/proc/stat') return `cpu  ${total - idle} 0 0 ${idle} 0 0 0 0 0 0\n`;
    if (f === '/proc/meminfo') return MEMINFO;
    return undefined;
  };
  const net = new LoadCollector({ metric: 'network', networkInterface: 'auto', networkMaxScaleMbit: 1000, readProc: read });
  t.equal(net.interfaceName, 'eth0', 'auto = the default route interface');
  const cpu = new LoadCollector({ metric: 'cpu', networkInterface: 'eth0', networkMaxScaleMbit: 1000, readProc: read });
  const mem = new LoadCollector({ metric: 'memory', networkInterface: 'eth0', networkMaxScaleMbit: 1000, readProc: read });
  await new Promise((r) => setTimeout(r, 100));
  rx = 1.25e6; // 10 Mbit in ~0.1 s -> ~100 Mbit/s -> ~0.1
  total = 2000;
  idle = 1050; // busy 750 of 1000 -> 0.75
  const s = net.sample();
  t.ok(s.network > 0.05 && s.network < 0.2, `network ~0.1: ${s.network}`);
  t.equal(s.load, s.network);
  t.equal(cpu.sample().load, 0.75);
  t.equal(mem.sample().load, 0.75);
  const none = new LoadCollector({ metric: 'network', networkInterface: 'auto', networkMaxScaleMbit: 1000, readProc: () => undefined });
  t.equal(none.interfaceName, 'lo', 'no routes -> lo');
  t.equal(none.sample().network, 0, 'no /proc -> 0');
});
