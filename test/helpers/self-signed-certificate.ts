import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Writes a self-signed certificate (usable as its own CA) and its key with
 * openssl into `dir`, as `<prefix>cert.pem` and `<prefix>key.pem`, valid
 * for a day. The default subject is localhost with the names 127.0.0.1 and
 * localhost, what every loopback TLS server here needs.
 */
export function writeSelfSignedCertificate(
  dir: string,
  options: { prefix?: string; commonName?: string; localhostNames?: boolean } = {},
): { certPath: string; keyPath: string } {
  const { prefix = "", commonName = "localhost", localhostNames = true } = options;
  const certPath = join(dir, `${prefix}cert.pem`);
  const keyPath = join(dir, `${prefix}key.pem`);
  const names = localhostNames ? ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"] : [];
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
      `/CN=${commonName}`,
      ...names,
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );
  return { certPath, keyPath };
}
