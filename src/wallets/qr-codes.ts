// QR codes of offer and request URIs (the `qrcode` package): PNG and SVG for a business's page, and
// text for a terminal (`did-notary offer create`).
import QRCode from 'qrcode';

/** The QR code image formats served. */
export type QrImageFormat = 'png' | 'svg';

/** A QR code of `text` as an image (`png` bytes or `svg` text), medium error correction. */
export async function qrImage(text: string, format: QrImageFormat): Promise<{ contentType: string; body: Buffer }> {
  if (format === 'png') return { contentType: 'image/png', body: await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 360 }) };
  return { contentType: 'image/svg+xml', body: Buffer.from(await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }), 'utf8') };
}

/** A QR code of `text` drawn with block characters, for a terminal. */
export async function qrTerminal(text: string): Promise<string> {
  const drawing = await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' });
  // The drawing ends with a colour reset but no line break: what is printed next starts on its own line.
  return drawing.endsWith('\n') ? drawing : `${drawing}\n`;
}
