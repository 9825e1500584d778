/**
 * Reads a Server-Sent Events response with fetch, independently of the client SDK's
 * parser: frames come out as they arrive, comments included, so tests can check the
 * wire format itself.
 */
export interface SseFrame {
  id: string | null;
  data: string | null;
  comment: string | null;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ response: Response; frames: AsyncGenerator<SseFrame>; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  async function* frames(): AsyncGenerator<SseFrame> {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = { id: null, data: null, comment: null };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('data: '))
              frame.data = (frame.data === null ? '' : `${frame.data}\n`) + line.slice(6);
          }
          yield frame;
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      reader.releaseLock();
    }
  }
  return { response, frames: frames(), close: () => controller.abort() };
}

export interface StreamedEvent {
  id: string;
  jobId: string;
  kind: string;
  status: string;
  progress: { percent: number; stage: string | null; message: string | null };
  at: string;
}

/** Collects events (comments counted apart) until the stream ends or `stop` says so. */
export async function collect(
  frames: AsyncGenerator<SseFrame>,
  stop: (events: StreamedEvent[]) => boolean = () => false,
): Promise<{ events: StreamedEvent[]; comments: number; ended: boolean }> {
  const events: StreamedEvent[] = [];
  let comments = 0;
  for await (const frame of frames) {
    if (frame.comment !== null) comments++;
    if (frame.data !== null) {
      const event = JSON.parse(frame.data) as StreamedEvent;
      if (frame.id !== event.id)
        throw new Error(`id line ${frame.id} does not match the event id ${event.id}`);
      events.push(event);
      if (stop(events)) return { events, comments, ended: false };
    }
  }
  return { events, comments, ended: true };
}
