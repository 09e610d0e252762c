import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";

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
    tls.certPath = join(dir, "cert.pem");
    tls.keyPath = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        tls.keyPath,
        "-out",
        tls.certPath,
      ],
      { stdio: "ignore" },
    );
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
  const certPath = join(dir, `${name}-cert.pem`);
  const keyPath = join(dir, `${name}-key.pem`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${commonName}`, "-keyout", keyPath, "-out", certPath],
    { stdio: "ignore" },
  );
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}
