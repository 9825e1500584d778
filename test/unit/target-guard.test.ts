import { describe, expect, it } from 'vitest';
import {
  guardedLookup,
  refusedAddressReason,
  refusedUrlReason,
} from '../../src/engine/webhooks/target-guard.js';

describe('webhook target guard', () => {
  it.each([
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'private (unique local)'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local (cloud metadata)'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local (cloud metadata)'],
    ['::127.0.0.1', 'loopback'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(refusedAddressReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'])(
    'allows the public address %s',
    (address) => {
      expect(refusedAddressReason(address)).toBeNull();
    },
  );

  it('judges URLs at subscribe time: scheme, credentials, address literals, localhost', () => {
    const reason = (url: string, allow = false) => refusedUrlReason(new URL(url), allow);
    expect(reason('http://[::ffff:127.0.0.1]/')).toBe('loopback');
    expect(reason('http://169.254.169.254/')).toMatch(/metadata/);
    expect(reason('http://localhost:8080/')).toBe('loopback');
    expect(reason('file:///etc/passwd')).toMatch(/http/);
    expect(reason('https://user:pw@example.com/')).toMatch(/credentials/);
    expect(reason('https://example.com/hook')).toBeNull();
    expect(reason('http://127.0.0.1:9/', true)).toBeNull();
  });

  it('refuses a name that resolves to a refused address when it is looked up', async () => {
    const error = await new Promise<Error | null>((resolve) =>
      guardedLookup('localhost', {}, (e) => resolve(e)),
    );
    expect(error?.message).toMatch(/Refused webhook target localhost/);
  });
});
