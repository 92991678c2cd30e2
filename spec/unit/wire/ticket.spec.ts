import { constants, generateKeyPairSync, privateDecrypt, type KeyObject } from 'node:crypto';
import { PasswordTooLongError, WireError } from '../../../src/wire/errors';
import { encryptTicket } from '../../../src/wire/ticket';

describe('encryptTicket', () => {
  let publicKeyDer: Buffer;
  let privateKey: KeyObject;

  beforeAll(() => {
    // What spice-server generates for every link: a 1024-bit RSA key, e = 65537.
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 65537 });
    publicKeyDer = pair.publicKey.export({ format: 'der', type: 'spki' });
    privateKey = pair.privateKey;
  });

  const decrypt = (ticket: Buffer): Buffer =>
    privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ticket);

  it('uses a 162-byte SPKI as the server sends it', () => {
    expect(publicKeyDer.length).toBe(162);
  });

  it('encrypts the password plus NUL into 128 bytes of OAEP-SHA1', () => {
    const ticket = encryptTicket(publicKeyDer, 'sesame');
    expect(ticket.length).toBe(128);
    expect(decrypt(ticket)).toEqual(Buffer.from('sesame\0', 'utf8'));
  });

  it('sends a lone NUL for an empty password', () => {
    expect(decrypt(encryptTicket(publicKeyDer, ''))).toEqual(Buffer.of(0));
  });

  it('counts the limit in UTF-8 bytes: 60 is fine, 61 is not', () => {
    const sixty = 'é'.repeat(30);
    expect(decrypt(encryptTicket(publicKeyDer, sixty))).toEqual(Buffer.from(sixty + '\0', 'utf8'));
    expect(() => encryptTicket(publicKeyDer, 'x'.repeat(61))).toThrow(PasswordTooLongError);
    expect(() => encryptTicket(publicKeyDer, 'é'.repeat(30) + 'x')).toThrow(/at most 60 bytes/);
  });

  it('rejects a key that is not a DER SPKI as malformed (e.g. the zeros of a SASL server)', () => {
    for (const bad of [Buffer.alloc(162), Buffer.from('not a key'), publicKeyDer.subarray(0, 100)]) {
      expect(() => encryptTicket(bad, 'pw')).toThrow(WireError);
    }
  });

  it('rejects a non-RSA key as malformed', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    expect(() => encryptTicket(ec, 'pw')).toThrow(WireError);
  });
});
