/**
 * SSRF protection for outbound webhooks: a target must resolve only to public unicast
 * addresses. Refused: loopback, private (RFC 1918, ULA), link-local (cloud metadata at
 * 169.254.169.254 and fd00:ec2::254 among them), CGNAT, unspecified, multicast, reserved
 * and documentation ranges — in IPv4 and IPv6, with IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible and NAT64 (64:ff9b::/96) forms judged by the IPv4 address inside.
 *
 * The check is made on the addresses the connection uses: `guardedLookup` is the
 * socket's DNS lookup, so a name that resolves differently between a check and the
 * connect (DNS rebinding) cannot slip through. A host that resolves to any refused
 * address is refused whole.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const v4Ranges: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'CGNAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const v6Ranges: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

const lists = new Map<string, BlockList>();
for (const [network, prefix, reason] of [...v4Ranges, ...v6Ranges]) {
  let list = lists.get(reason);
  if (!list) {
    list = new BlockList();
    lists.set(reason, list);
  }
  list.addSubnet(network, prefix, isIP(network) === 4 ? 'ipv4' : 'ipv6');
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64), or null. */
function embeddedV4(v6: string): string | null {
  // URL parsing normalises any spelling (::ffff:127.0.0.1, 0:0:0:0:0:ffff:7f00:1…) to compressed hex.
  let host: string;
  try {
    host = new URL(`http://[${v6}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const match = /^(::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!match) return null;
  const hi = Number.parseInt(match[2]!, 16);
  const lo = Number.parseInt(match[3]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why `address` (an IP literal) is refused, or null when it is a public unicast address. */
export function refusedAddressReason(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const v4 = embeddedV4(bare);
    if (v4 !== null) return refusedAddressReason(v4);
  }
  for (const [reason, list] of lists) {
    if (list.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return reason;
  }
  return null;
}

export class RefusedTargetError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`Refused webhook target ${host} (${address}: ${reason})`);
    this.name = 'RefusedTargetError';
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for http.request: resolves every address and refuses the host when any is refused. */
export function guardedLookup(hostname: string, options: { all?: boolean }, callback: LookupCallback): void {
  dnsLookup(hostname, { all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    for (const { address } of addresses) {
      const reason = refusedAddressReason(address);
      if (reason) return callback(new RefusedTargetError(hostname, address, reason), []);
    }
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    if (!first)
      return callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

/**
 * Checks a URL at subscribe time: http(s) only, no credentials, and a host that is an
 * address literal must be a public one (a name is judged when it is resolved, per attempt).
 * Returns the reason it is refused, or null.
 */
export function refusedUrlReason(url: URL, allowPrivate: boolean): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are allowed';
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return refusedAddressReason(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  return null;
}
