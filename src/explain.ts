import type { Client } from './policy/clients.ts';
import type { Judgement } from './server/judge.ts';
import { judge } from './server/judge.ts';

/** What `dockscope explain` says of one request, and the judgement it says it from. */
interface Explanation {
  /** 0: dockscope serves it (the daemon then answers for the containers it names); 1: refused. */
  readonly exit: 0 | 1;
  readonly line: string;
  readonly judgement: Judgement;
}

/**
 * `dockscope explain --client NAME METHOD PATH`: the server's judgement of a plain request of that
 * client (server/judge.ts, the same steps up to the decision), before any container is looked up.
 */
export async function explainRequest(
  client: Client,
  method: string,
  path: string,
  upstreamTimeoutMs: number,
): Promise<Explanation> {
  const j = await judge({
    transport: 'explain',
    method,
    url: path,
    headers: {},
    identify: () => client,
    upstreamTimeoutMs,
  });
  const name = client.name;
  if (j.refusal) {
    const { step, error } = j.refusal;
    const line =
      step === 'lists' && error.rule
        ? `${method} ${path}: refused (${error.status}) for client "${name}" by ${error.rule}`
        : `${method} ${path}: refused (${error.status}): ${error.message.replace(/^dockscope: /, '')}`;
    return { exit: 1, line, judgement: j };
  }
  const { classified, lists, timing } = j;
  if (!classified || !lists || !timing) throw new Error('a judgement without its route');
  const verdict = lists.allowed
    ? `passes the allow/deny lists of client "${name}" (${lists.by})`
    : `is served to client "${name}" in learn mode, which its lists would refuse (${lists.by})`;
  const line =
    `${method} ${path}: route ${classified.route.kind}, ${verdict}; ` +
    'container references are then judged on what the daemon says of them ' +
    `(this client sees ${client.resolver.seesAll ? 'every container' : 'the containers its rules match'}); ` +
    `${timing.lane} lane, response headers awaited up to ${timing.headerTimeoutMs / 1000}s; ` +
    `recorded as ${classified.template}`;
  return { exit: 0, line, judgement: j };
}
