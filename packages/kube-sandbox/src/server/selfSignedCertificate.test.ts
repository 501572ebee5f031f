import { X509Certificate } from 'node:crypto';
import { createSelfSignedCertificate, integer } from './selfSignedCertificate';

describe('createSelfSignedCertificate', () => {
  it('makes certificates OpenSSL parses, whatever their random serial', () => {
    // A needless leading zero in the serial (1 start in 256 before the fix) made OpenSSL refuse the
    // certificate ("asn1 encoding routines::illegal padding"): 2,000 of them all parse.
    for (let i = 0; i < 2000; i++) {
      const { cert } = createSelfSignedCertificate();
      const x509 = new X509Certificate(cert);
      expect(x509.subject).toBe('CN=kube-sandbox');
      expect(x509.serialNumber).not.toMatch(/^00/);
    }
  });

  it('is valid for localhost and the loopback addresses, for ten years', () => {
    const x509 = new X509Certificate(createSelfSignedCertificate().cert);
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBe('::1');
    const years =
      (Date.parse(x509.validTo) - Date.now()) / (365 * 24 * 60 * 60 * 1000);
    expect(Math.round(years)).toBe(10);
  });
});

describe('integer', () => {
  it.each([
    [Buffer.from([0x00, 0x12]), '020112'],
    [Buffer.from([0x00, 0x00, 0x92]), '02020092'],
    [Buffer.from([0x92]), '02020092'],
    [Buffer.from([0x00]), '020100'],
    [2, '020102'],
  ])('encodes %p minimally', (value, hex) => {
    expect(integer(value).toString('hex')).toBe(hex);
  });
});
