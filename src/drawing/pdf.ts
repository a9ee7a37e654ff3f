/**
 * The result as a PDF (pure: model and pictures in, bytes out), written with pdfkit: the summary
 * page as real text and vector graphics, then one page per lesion with its key image. Fonts are
 * embedded as subsets (DejaVu Sans, Noto Sans JP), so any name prints and can be searched or
 * copied; the research caveat is on every page.
 */
import PDFDocument from 'pdfkit';
import { footerOf, layoutSummaryPage, PAGE, SummaryPageModel } from './summaryPage';
import { pdfPainter } from './painter';

export interface PdfLesionPage {
  title: string;
  png: Buffer;
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
    // The key image (with its burned-in caption), as large as the page allows.
    doc.image(lesion.png, margin, margin + 22, { fit: [width - 2 * margin, height - 2 * margin - 22 - 34], align: 'center' });
    footerOf(p, summary.caveat, summary.footer);
  }
  doc.end();
  return done;
}
