/**
 * Every Redis call gets a reply deadline, and a Redis that missed one is treated as hung
 * until it answers again. This is what keeps a frozen Redis (SIGSTOP, swapping: the
 * socket stays open, nothing comes back) from hanging the API:
 *
 * - a call not answered within `timeoutMs` fails with "Command timed out" (its caller
 *   answers 503; Redis may still run it when it wakes, see isStoreTimeout);
 * - from then on calls fail at once, unsent, until a PING sent every ~`timeoutMs` is
 *   answered (or the client reconnects), so a request that makes several calls answers
 *   within one deadline, not one per call.
 *
 * ioredis' own `commandTimeout` and `socketTimeout` are not used: their timers fire
 * before a reply that arrived during an event-loop stall is read (timers run before I/O
 * in each loop turn), failing healthy calls after any stall longer than the deadline.
 * Here an expired deadline is confirmed after the loop's I/O phase (setImmediate), so only
 * a reply that truly is not there fails the call. The subscriber connection, which waits
 * for messages rather than replies, is made by `duplicate()` and is not bounded.
 */
import { type Cluster, Command, type Redis } from 'ioredis';

export const notAnsweringMessage =
  'Redis is not answering: a call timed out and no PING has been answered since';

type SendCommand = (command: Command, ...rest: unknown[]) => unknown;

export function boundReplies(client: Redis | Cluster, timeoutMs: number): void {
  const send = client.sendCommand.bind(client) as SendCommand;
  let hung = false;
  let probing = false;

  const watch = (command: Command, onLate: () => void) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          command.reject(new Error('Command timed out'));
          onLate();
        }),
      timeoutMs,
    );
    const done = () => {
      settled = true;
      clearTimeout(timer);
    };
    command.promise.then(done, done);
  };

  const probe = () => {
    if (probing) return;
    probing = true;
    const ping = () => {
      const command = new Command('ping', []);
      watch(command, () => {});
      send(command);
      command.promise.then(
        () => {
          hung = false;
          probing = false;
        },
        () => {
          // A closed client needs no probe (store.close(), or ioredis gave up).
          if (client.status === 'end') {
            probing = false;
            return;
          }
          setTimeout(ping, Math.min(timeoutMs, 250)).unref();
        },
      );
    };
    ping();
  };

  // A fresh connection is a live one.
  client.on('ready', () => {
    hung = false;
  });
  (client as { sendCommand: SendCommand }).sendCommand = (command, ...rest) => {
    // While connecting, ioredis' own handshake (AUTH, INFO, SELECT) must get through.
    if (hung && client.status === 'ready') {
      command.reject(new Error(notAnsweringMessage));
      return command.promise;
    }
    watch(command, () => {
      hung = true;
      probe();
    });
    return send(command, ...rest);
  };
}
