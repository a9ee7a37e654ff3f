/**
 * The result as a PDF (pure: model and pictures in, bytes out), written with pdfkit: the summary
 * page as real text and vector graphics, then one page per lesion with its key image. Fonts are
 * embedded as subsets (DejaVu Sans, Noto Sans JP), so any name prints and can be searched or
 * copied; the research caveat is on every page.
 */
import PDFDocument from 'pdfkit';
import { footerOf, layoutSummaryPage, PAGE, SummaryPageModel } from './summaryPage';
import { pdfPainter, wrapText } from './painter';

export interface PdfLesionPage {
  title: string;
  /** The caption as text (it is burned into the PNG too): searchable and copyable. */
  lines: string[];
  png: Buffer;
  width: number;
  height: number;
}

export interface PdfMeta {
  title: string;
  /** Fixed creation date, so that the same result gives the same bytes. */
  createdAt: Date;
  producer: string;
}

export function writeResultPdf(summary: SummaryPageModel, lesions: readonly PdfLesionPage[], meta: PdfMeta): Promise<Buffer> {
  const doc = new PDFDocument({
    size: [PAGE.width, PAGE.height],
    margin: 0,
    autoFirstPage: false,
    info: { Title: meta.title, Producer: meta.producer, Creator: meta.producer, CreationDate: meta.createdAt, ModDate: meta.createdAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const p = pdfPainter(doc);
  doc.addPage();
  layoutSummaryPage(p, summary);
  for (const lesion of lesions) {
    doc.addPage();
    const { width, height, margin } = PAGE;
    p.text(lesion.title, margin, margin, { size: 13, bold: true });
    // The key image (with its burned-in caption) on the left, as tall as the page allows; the caption as text on the right.
    const h = height - 2 * margin - 22 - 34;
    const w = (h * lesion.width) / lesion.height;
    doc.image(lesion.png, margin, margin + 22, { width: w, height: h });
    const x = margin + w + 20;
    let y = margin + 22;
    for (const line of lesion.lines) {
      for (const part of wrapText(p, line, { size: 10 }, width - margin - x)) {
        p.text(part, x, y, { size: 10 });
        y += 13;
      }
      y += 4;
    }
    footerOf(p, summary.caveat, summary.footer);
  }
  doc.end();
  return done;
}
