// Only the five predefined entities and character references exist in a domain XML: pciplan
// refuses documents that declare their own (see parseXml), so decoding never expands anything
// recursively or from outside the file.

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Matches one entity or character reference; anything else after `&` is malformed. */
export const ENTITY_REF = /&(?:(lt|gt|amp|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/g;

export function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(ENTITY_REF, (_m, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name) return NAMED[name]!;
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex!, 16);
    return String.fromCodePoint(code);
  });
}

export function escapeAttr(value: string, quote: "'" | '"'): string {
  const out = value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return quote === "'" ? out.replace(/'/g, '&apos;') : out.replace(/"/g, '&quot;');
}

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
