import { computeBatchCrc, crc32, crc32cImplementation } from '../../src';

describe('checksums', () => {
  const check = Buffer.from('123456789');

  it('CRC-32C (Castagnoli) over [attributes, end) has the standard check value', () => {
    // computeBatchCrc covers a batch from byte 21 on; put the check string there.
    const batch = Buffer.concat([Buffer.alloc(21, 0xaa), check]);
    expect(computeBatchCrc(batch)).toBe(0xe3069283);
  });

  it('legacy messages use zlib CRC-32 (IEEE), whose check value differs', () => {
    expect(crc32(check)).toBe(0xcbf43926);
  });

  it('reports the CRC-32C implementation that fast-crc32c picked', () => {
    let nativeLoads: boolean;
    try {
      nativeLoads = (require('sse4_crc32') as { calculate(b: Buffer): number }).calculate(check) >>> 0 === 0xe3069283;
    } catch {
      nativeLoads = false;
    }
    expect(crc32cImplementation()).toBe(nativeLoads ? 'native' : 'javascript');
  });
});
