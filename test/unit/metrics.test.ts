import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.ts';

const lines = async (m: Metrics, name: string) =>
  (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(name));

describe('metrics: requests and durations counted in cells, exposed when scraped', () => {
  it('counts by client, route, decision and status, and buckets durations cumulatively as prom-client does', async () => {
    const m = new Metrics(() => ({ lookups: 0, hits: 0 }), { version: 'v', node: 'n' });
    m.record('dash', 'GET /_ping', 'allowed', 200, 0.0004);
    m.record('dash', 'GET /_ping', 'allowed', 200, 0.003);
    m.record('dash', 'GET /_ping', 'allowed', 200, 0.005);
    m.record('dash', 'GET /_ping', 'refused', 403, 100);
    m.record('ci', 'GET /version', 'allowed', 200, 0.01);
    expect(await lines(m, 'dockscope_requests_total{')).toEqual([
      'dockscope_requests_total{client="dash",route="GET /_ping",decision="allowed",status="200"} 3',
      'dockscope_requests_total{client="dash",route="GET /_ping",decision="refused",status="403"} 1',
      'dockscope_requests_total{client="ci",route="GET /version",decision="allowed",status="200"} 1',
    ]);
    const dash = (await lines(m, 'dockscope_request_duration_seconds')).filter((l) => l.includes('"dash"'));
    expect(dash.slice(0, 3)).toEqual([
      'dockscope_request_duration_seconds_bucket{le="0.001",client="dash",route="GET /_ping"} 1',
      'dockscope_request_duration_seconds_bucket{le="0.0025",client="dash",route="GET /_ping"} 1',
      // An observation equal to a bound falls in that bucket (le).
      'dockscope_request_duration_seconds_bucket{le="0.005",client="dash",route="GET /_ping"} 3',
    ]);
    expect(dash.slice(-4)).toEqual([
      'dockscope_request_duration_seconds_bucket{le="60",client="dash",route="GET /_ping"} 3',
      'dockscope_request_duration_seconds_bucket{le="+Inf",client="dash",route="GET /_ping"} 4',
      'dockscope_request_duration_seconds_sum{client="dash",route="GET /_ping"} 100.0084',
      'dockscope_request_duration_seconds_count{client="dash",route="GET /_ping"} 4',
    ]);
  });
});
