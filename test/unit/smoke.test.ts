import { secp256k1 } from '@noble/curves/secp256k1.js';
import { markdownTable } from '../../bench/report.js';

test('toolchain: ESM deps load and our modules import', () => {
  expect(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey()).length).toBe(33);
  expect(markdownTable(['a'], [[1]])).toContain('| 1 |');
});
