import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { writeSelfSignedCertificate } from "./self-signed-certificate.js";

/** A self-signed certificate for localhost and 127.0.0.1, as files and as PEM. */
export interface TlsCertificate {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

/**
 * Makes a fresh self-signed certificate with openssl before the file's tests
 * and removes it afterwards. Read the returned object's fields inside tests
 * or hooks, once beforeAll has run.
 */
export function useTlsCertificate(): TlsCertificate {
  const tls = {} as TlsCertificate;
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "userctl-tls-"));
    Object.assign(tls, writeSelfSignedCertificate(dir));
    tls.cert = readFileSync(tls.certPath);
    tls.key = readFileSync(tls.keyPath);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return tls;
}

/**
 * Makes a self-signed certificate (usable as its own CA) for `commonName`
 * in `dir`, e.g. a client certificate for mutual TLS tests.
 */
export function makeSelfSignedCertificate(dir: string, name: string, commonName: string): TlsCertificate {
  const { certPath, keyPath } = writeSelfSignedCertificate(dir, { prefix: `${name}-`, commonName, localhostNames: false });
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}
