/**
 * Who may reach a sync server, by Origin and Host (README, "Security"). Without auth the server
 * is open: any page the developer visits could drive it from the browser, and DNS rebinding
 * reaches a loopback server under a foreign name. So an open server answers:
 * 1. only requests whose Host is a loopback name (localhost, *.localhost, 127.0.0.0/8, ::1)
 *    or one of the configured `hosts`;
 * 2. only cross-origin requests (those with an Origin) from loopback origins or the
 *    configured `origins`.
 * With auth, tokens (sent in a header, never a cookie) guard the logs: any Host, and the
 * configured origins (default any).
 */

export interface AccessOptions {
  /** Browser origins allowed to call the server ('*' for any). */
  origins?: '*' | readonly string[] | undefined;
  /** Host names the open server answers besides loopback ones (e.g. a LAN name). */
  hosts?: readonly string[] | undefined;
  /** Whether tokens guard the server. */
  auth: boolean;
}

/** A loopback host name: localhost, *.localhost, 127.0.0.0/8 or ::1 (brackets optional). */
function isLoopbackName(hostname: string): boolean {
  const name = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

function originHost(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

export interface Access {
  /** The Access-Control-Allow-Origin value for `origin`, or undefined (no cross-origin access). */
  allowOrigin(origin: string): string | undefined;
  /** Why a request must be refused (403), or undefined. */
  refusal(request: { hostname: string; origin: string | undefined }): string | undefined;
}

export function makeAccess(options: AccessOptions): Access {
  const origins = options.origins ?? (options.auth ? '*' : []);
  const listed = new Set(origins === '*' ? [] : origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  const hosts = new Set((options.hosts ?? []).map((h) => h.toLowerCase()));
  const allowed = (origin: string): boolean => {
    if (origins === '*' || listed.has(origin.replace(/\/+$/, '').toLowerCase())) return true;
    if (options.auth && options.origins !== undefined) return false;
    const host = originHost(origin);
    return host !== undefined && isLoopbackName(host);
  };
  return {
    allowOrigin: (origin) => (origins === '*' ? '*' : allowed(origin) ? origin : undefined),
    refusal({ hostname, origin }) {
      if (options.auth) return undefined;
      if (!isLoopbackName(hostname) && !hosts.has(hostname.toLowerCase())) {
        return `this sync server has no auth and answers only loopback hosts, not "${hostname}": configure auth (tokens), or list the host in hosts`;
      }
      if (origin !== undefined && origin !== 'null' && !allowed(origin)) {
        return `this sync server has no auth and takes cross-origin requests only from loopback origins, not ${origin}: configure auth, or list the origin in cors.origins`;
      }
      if (origin === 'null') return 'this sync server has no auth and takes no requests from opaque origins';
      return undefined;
    },
  };
}
