/**
 * Ways to spell one path that a router may take for it: percent-encoding of each character (both
 * hex cases) and of all of them, absolute-form targets, dot segments (plain and encoded),
 * duplicate and trailing slashes, encoded slashes, query strings and matrix parameters, and case.
 */
export function pathSpellings(path: string): string[] {
  const out = new Set<string>([path]);
  const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(2, '0');
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '/') continue;
    out.add(`${path.slice(0, i)}%${hex(path[i]).toUpperCase()}${path.slice(i + 1)}`);
    out.add(`${path.slice(0, i)}%${hex(path[i]).toLowerCase()}${path.slice(i + 1)}`);
  }
  out.add([...path].map((c) => (c === '/' ? c : `%${hex(c)}`)).join(''));
  const segments = path.split('/').filter(Boolean);
  const [first, ...rest] = segments;
  out.add(`http://x${path}`);
  out.add(`http://localhost:1${path}?a=b`);
  out.add(`/.${path}`);
  out.add(`/x/..${path}`);
  out.add(`/%2e${path}`);
  out.add(`/x/%2e%2e${path}`);
  if (rest.length) {
    out.add(`/${first}/.${path.slice(first.length + 1)}`);
    out.add(`/${first}//${rest.join('/')}`);
    out.add(`/${first}%2f${rest.join('/')}`);
    out.add(`/${first}%2F${rest.join('/')}`);
  }
  out.add(`/${path}`);
  out.add(`//${path}`);
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}?`);
  out.add(`${path}?x=1`);
  out.add(`${path};x=1`);
  out.add(`${path}#x`);
  out.add(path.toUpperCase());
  out.add(path.replace(/[a-z]/, (c) => c.toUpperCase()));
  return [...out];
}
