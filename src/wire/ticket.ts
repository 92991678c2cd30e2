// The SPICE ticket: the password encrypted with the server's per-link RSA key (protocol doc section 1.3).
// OAEP with SHA-1 for both the hash and MGF1 and an empty label, which is what OpenSSL's
// RSA_PKCS1_OAEP_PADDING means on the server side.

import { constants, createPublicKey, publicEncrypt, type KeyObject } from 'node:crypto';
import { MAX_PASSWORD_BYTES } from './constants';
import { PasswordTooLongError, WireError } from './errors';

function importServerKey(publicKeyDer: Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new WireError(
      'malformed',
      `the SPICE server sent an unusable public key (${cause instanceof Error ? cause.message : String(cause)}); the server may require SASL, which spice-webdav does not support`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new WireError(
      'malformed',
      `the SPICE server sent a ${String(key.asymmetricKeyType)} key where RSA is required`,
    );
  }
  return key;
}

/**
 * Encrypts `password` + NUL for the ticket. An empty password is the lone NUL, which servers with ticketing
 * disabled still require. Throws PasswordTooLongError over 60 UTF-8 bytes and WireError('malformed') for a
 * key that cannot be used.
 */
export function encryptTicket(publicKeyDer: Buffer, password: string): Buffer {
  const passwordBytes = Buffer.from(password, 'utf8');
  if (passwordBytes.length > MAX_PASSWORD_BYTES) throw new PasswordTooLongError(passwordBytes.length);
  const key = importServerKey(publicKeyDer);
  const plaintext = Buffer.concat([passwordBytes, Buffer.of(0)]);
  try {
    return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext);
  } catch (cause) {
    throw new WireError(
      'malformed',
      `the SPICE server's public key cannot encrypt the ticket (${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
}
