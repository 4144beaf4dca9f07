// An informer's Prometheus metrics: restarts by reason (stale among them), periodic relists and
// what they repaired, events, handler errors, sync state. One label set per informer name.
import { counter, gauge, type Registry } from '../observability/metrics.js';

export interface InformerMetrics {
  restart: (reason: string) => void;
  relist: (result: 'ok' | 'error') => void;
  repair: (type: 'add' | 'update' | 'delete') => void;
  event: (type: string) => void;
  handlerError: () => void;
  synced: (v: number) => void;
}

export function makeInformerMetrics(registry: Registry | undefined, name: string): InformerMetrics {
  if (!registry) return { restart: () => {}, relist: () => {}, repair: () => {}, event: () => {}, handlerError: () => {}, synced: () => {} };
  const restarts = counter(registry, {
    name: 'vpcrc_informer_restarts_total',
    help: 'Informer restarts after an error, by reason (stale: the watch delivered nothing, not even a bookmark, for --watch-stale-timeout)',
    labelNames: ['informer', 'reason'],
  });
  const relists = counter(registry, { name: 'vpcrc_informer_relists_total', help: 'Periodic relists (--informer-relist-interval), by result', labelNames: ['informer', 'result'] });
  const repairs = counter(registry, {
    name: 'vpcrc_informer_relist_repairs_total',
    help: 'Objects a periodic relist found different from the cache (an event the watch missed), by type',
    labelNames: ['informer', 'type'],
  });
  const events = counter(registry, { name: 'vpcrc_informer_events_total', help: 'Objects added, updated, deleted', labelNames: ['informer', 'type'] });
  const handlerErrors = counter(registry, { name: 'vpcrc_informer_handler_errors_total', help: 'Handlers that threw', labelNames: ['informer'] });
  const synced = gauge(registry, { name: 'vpcrc_informer_synced', help: '1 once the first list is cached', labelNames: ['informer'] });
  synced.set({ informer: name }, 0);
  return {
    restart: (reason) => restarts.inc({ informer: name, reason }),
    relist: (result) => relists.inc({ informer: name, result }),
    repair: (type) => repairs.inc({ informer: name, type }),
    event: (type) => events.inc({ informer: name, type }),
    handlerError: () => handlerErrors.inc({ informer: name }),
    synced: (v) => synced.set({ informer: name }, v),
  };
}
