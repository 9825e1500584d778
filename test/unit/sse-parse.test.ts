import { describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from '../../src/client/job-stream.js';

/** A body that delivers `chunks` one read at a time, to split lines and events anywhere. */
function body(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(chunks: string[]): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  for await (const message of parseSse(body(chunks))) messages.push(message);
  return messages;
}

describe('parseSse', () => {
  it('reads id and data, skips comments, and joins data lines', async () => {
    expect(await all([': keep-alive\n\n', 'id: 7\ndata: {"a":1}\n\n', 'data: one\ndata: two\n\n'])).toEqual([
      { id: '7', event: 'message', data: '{"a":1}' },
      // The last id stays in force until another one comes.
      { id: '7', event: 'message', data: 'one\ntwo' },
    ]);
  });

  it('accepts LF, CR and CRLF line ends, split across reads anywhere', async () => {
    const text = 'id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rid: 3\nevent: x\ndata: c\n\n';
    const whole = await all([text]);
    expect(whole).toEqual([
      { id: '1', event: 'message', data: 'a' },
      { id: '2', event: 'message', data: 'b' },
      { id: '3', event: 'x', data: 'c' },
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(await all([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
  });

  it('decodes UTF-8 split across reads, drops an unfinished event and ignores an id with NUL', async () => {
    const bytes = new TextEncoder().encode('data: “stage”\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.enqueue(new TextEncoder().encode('id: a\u0000b\ndata: x\n\ndata: unfinished'));
        controller.close();
      },
    });
    const messages: SseMessage[] = [];
    for await (const message of parseSse(stream)) messages.push(message);
    expect(messages).toEqual([
      { id: null, event: 'message', data: '“stage”' },
      { id: null, event: 'message', data: 'x' },
    ]);
  });
});
