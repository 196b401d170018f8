// Numbers as libvirt 9 reads them; each row was observed with virsh define (the oracle part of
// test/reliability/input.test.ts asks libvirt the slot and index rows again).
import { describe, expect, it } from 'vitest';
import { parseBase0, parseDecimal, parseUnsignedDecimal } from '../../src/model/numbers.js';

const where = { at: 'd.xml:3', what: 'disk[vda] <address>' };
const read = (f: typeof parseBase0, raw: string) => {
  try {
    return f(raw, 'x', where);
  } catch (e) {
    return (e as Error).message.includes("is not a number as libvirt reads it") ? 'junk' : `other: ${(e as Error).message}`;
  }
};

describe('numbers as libvirt reads them', () => {
  it("PCI address parts and <target> chassis/port/busNr: strtoul base 0, unsigned int", () => {
    const rows: [string, number | 'junk'][] = [
      ['5', 5], ['0x05', 5], ['0X1f', 31], ['010', 8], ['0', 0], ['00', 0], [' 0x05', 5], ['\n\t5', 5], ['+5', 5], ['4294967295', 4294967295],
      ['0x05 ', 'junk'], ['0x05\n', 'junk'], ['-0', 'junk'], ['-1', 'junk'], ['', 'junk'], [' ', 'junk'], ['08', 'junk'], ['0x', 'junk'],
      ['4294967296', 'junk'], ['0x100000000', 'junk'], ['5 ', 'junk'], ['1e3', 'junk'], ['0x1g', 'junk'], ['+-5', 'junk'],
    ];
    for (const [raw, want] of rows) expect(read(parseBase0, raw), JSON.stringify(raw)).toBe(want);
  });

  it('controller index: strtol base 10, signed int (a negative index is the validator\'s to refuse)', () => {
    const rows: [string, number | 'junk'][] = [
      ['1', 1], ['010', 10], [' 1', 1], ['+1', 1], ['-1', -1], ['-0', 0], ['2147483647', 2147483647],
      ['0x1', 'junk'], ['1 ', 'junk'], ['2147483648', 'junk'], ['4294967296', 'junk'], ['-2147483649', 'junk'], ['', 'junk'], ['1.0', 'junk'],
    ];
    for (const [raw, want] of rows) expect(read(parseDecimal, raw), JSON.stringify(raw)).toBe(want);
  });

  it('NUMA cell ids and <node>: base 10, unsigned', () => {
    const rows: [string, number | 'junk'][] = [['0', 0], ['00', 0], [' 0', 0], ['12', 12], ['0x0', 'junk'], ['-1', 'junk'], ['4294967296', 'junk']];
    for (const [raw, want] of rows) expect(read(parseUnsignedDecimal, raw), JSON.stringify(raw)).toBe(want);
  });

  it('a value of a million digits is refused in one pass, and the message stays short', () => {
    const msg = (() => {
      try {
        parseBase0('9'.repeat(1_000_000), 'slot', where);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(msg).toMatch(/^d\.xml:3: disk\[vda\] <address>: slot='9{40}…' is not a number as libvirt reads it/);
    expect(msg.length).toBeLessThan(300);
  });
});
