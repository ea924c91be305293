/**
 * The cluster.* configuration keys: defaults, env, and errors naming the key.
 */
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/load';

const load = (env: Record<string, string>) => loadConfig({ argv: [], env });

t.test('defaults (OWT values)', async (t) => {
  t.match(load({}).cluster, {
    enabled: true,
    reportIntervalMs: 1000,
    maxLoadPercent: 85,
    strategy: 'last-used',
    isps: '',
    regions: '',
    loadMetric: 'network',
    networkInterface: 'auto',
    networkMaxScaleMbit: 1000,
    kvReplicas: 1,
  });
});

t.test('env and CLI', async (t) => {
  const c = loadConfig({
    argv: ['--cluster-strategy', 'round-robin', '--no-cluster-enabled'],
    env: { CLUSTER_REPORT_INTERVAL_MS: '250', CLUSTER_ISPS: 'a,b', CLUSTER_LOAD_METRIC: 'cpu', CLUSTER_KV_REPLICAS: '3' },
  }).cluster;
  t.match(c, { strategy: 'round-robin', enabled: false, reportIntervalMs: 250, isps: 'a,b', loadMetric: 'cpu', kvReplicas: 3 });
});

t.test('bad values name the key', async (t) => {
  const bad = (env: Record<string, string>) => {
    try {
      load(env);
    } catch (e) {
      return (e as ConfigError).key;
    }
    return undefined;
  };
  t.equal(bad({ CLUSTER_STRATEGY: 'best' }), 'cluster.strategy');
  t.equal(bad({ CLUSTER_MAX_LOAD_PERCENT: '0' }), 'cluster.maxLoadPercent');
  t.equal(bad({ CLUSTER_REPORT_INTERVAL_MS: '10' }), 'cluster.reportIntervalMs');
  t.equal(bad({ CLUSTER_LOAD_METRIC: 'disk' }), 'cluster.loadMetric');
  t.equal(bad({ CLUSTER_NETWORK_INTERFACE: 'eth 0' }), 'cluster.networkInterface');
  t.equal(bad({ CLUSTER_KV_REPLICAS: '6' }), 'cluster.kvReplicas');
});
