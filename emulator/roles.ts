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
import { runningAs, type Caller } from './lambda-service.js';
import type { Topology } from './template.js';

const CLIENT_SOCKET = 'net.client.socket';
const CLIENT_REQUEST = 'http.client.request.start';

type ClientSocket = { localPort?: number; remotePort?: number; once(event: 'connect' | 'close', listener: () => void): unknown };

/** A connection on loopback by its two ports: the client's and the server's. */
const connection = (clientPort: number, serverPort: number) => `${clientPort}>${serverPort}`;

export class FunctionRoles {
  readonly #grants: Map<string, Grant[]>;
  readonly #bucketIdOf: Map<string, string>;
  /**
   * For which function the requests on a client connection are sent: known from the moment the
   * socket connects (S3 may read a request's headers before the client has finished sending it:
   * a body sent after `100 Continue`), again at each request on it, and forgotten when it closes.
   */
  readonly #callers = new Map<string, { caller: Caller; socket: ClientSocket }>();
  readonly #followed = new WeakSet<ClientSocket>();
  readonly #follow = (socket: ClientSocket, caller: Caller | undefined) => {
    if (socket.localPort === undefined || socket.remotePort === undefined) return;
    const key = connection(socket.localPort, socket.remotePort);
    if (caller) this.#callers.set(key, { caller, socket });
    else this.#callers.delete(key);
    if (this.#followed.has(socket)) return;
    this.#followed.add(socket);
    socket.once('close', () => {
      if (this.#callers.get(key)?.socket === socket) this.#callers.delete(key);
    });
  };
  readonly #onClientSocket = (message: unknown) => {
    const { socket } = message as { socket: ClientSocket };
    const caller = runningAs.getStore();
    if (caller) socket.once('connect', () => this.#follow(socket, caller));
  };
  readonly #onClientRequest = (message: unknown) => {
    const { request } = message as { request: { socket?: ClientSocket | null } };
    if (request.socket) this.#follow(request.socket, runningAs.getStore());
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
    diagnostics.subscribe(CLIENT_SOCKET, this.#onClientSocket);
    diagnostics.subscribe(CLIENT_REQUEST, this.#onClientRequest);
  }

  /** The role a request on this connection is checked against; undefined when it was sent for no function. */
  authorize(clientPort: number | undefined, serverPort: number | undefined): Role | undefined {
    const caller =
      clientPort === undefined || serverPort === undefined ? undefined : this.#callers.get(connection(clientPort, serverPort))?.caller;
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
    diagnostics.unsubscribe(CLIENT_SOCKET, this.#onClientSocket);
    diagnostics.unsubscribe(CLIENT_REQUEST, this.#onClientRequest);
  }
}
