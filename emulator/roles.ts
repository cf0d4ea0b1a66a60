/**
 * The functions' roles as the emulated S3 and SQS check them: each request is known by its
 * client socket to have been sent for a function (by its handler, or by Lambda with its role),
 * and is checked against that function's grants in the template. What Lambda checks when it
 * creates an SQS event source mapping is checked up front: without it the deploy would fail.
 */
import diagnostics from 'node:diagnostics_channel';
import { FatalError } from '../core/errors.js';
import type { Role } from './emulated-aws.js';
import { allows, EVENT_SOURCE_ACTIONS, grantsOf, queueName, type Grant } from './iam.js';
import { runningAs } from './lambda-service.js';
import type { Topology } from './template.js';

const CLIENT_REQUEST = 'http.client.request.start';

export class FunctionRoles {
  readonly #grants: Map<string, Grant[]>;
  readonly #bucketIdOf: Map<string, string>;
  /** For which function the request on a client socket (by its port) was sent. */
  readonly #callers = new Map<number, { fn: string; byLambda?: boolean }>();
  readonly #onClientRequest = (message: unknown) => {
    const { request } = message as { request: { socket?: { localPort?: number } | null } };
    const port = request.socket?.localPort;
    const as = runningAs.getStore();
    if (port === undefined) return;
    if (as) this.#callers.set(port, as);
    else this.#callers.delete(port);
  };

  /** Throws a FatalError for an event source Lambda would refuse; then follows the process's HTTP clients until `stop()`. */
  constructor(topology: Topology) {
    this.#grants = new Map([...topology.functions.keys()].map((fn) => [fn, grantsOf(topology.resources, fn)]));
    for (const es of topology.eventSources) {
      const missing = EVENT_SOURCE_ACTIONS.filter((action) => !allows(this.#grants.get(es.fn) ?? [], { action, queue: es.queue }));
      if (missing.length > 0)
        throw new FatalError(
          `the deploy would fail: Lambda refuses the event source ${es.id}, as the role of ${es.fn} may not ${missing.join(', ')} on ${es.queue}`,
        );
    }
    this.#bucketIdOf = new Map(topology.buckets.map((id) => [id.toLowerCase(), id]));
    diagnostics.subscribe(CLIENT_REQUEST, this.#onClientRequest);
  }

  /** The role a request from this client port is checked against; undefined when it was sent for no function. */
  authorize(port: number | undefined): Role | undefined {
    const caller = port === undefined ? undefined : this.#callers.get(port);
    const grants = caller && this.#grants.get(caller.fn);
    if (!grants) return undefined;
    const bucketIdOf = this.#bucketIdOf;
    return {
      byLambda: caller.byLambda === true,
      allows: (need) =>
        allows(
          grants,
          'queue' in need ? { ...need, queue: queueName(need.queue) } : { ...need, bucket: bucketIdOf.get(need.bucket) ?? need.bucket },
        ),
    };
  }

  stop(): void {
    diagnostics.unsubscribe(CLIENT_REQUEST, this.#onClientRequest);
  }
}
