// A small, strict XML reader: enough of XML 1.0 for the WebNLG benchmark files, with the decoding an XML parser
// must do (line-end normalisation, attribute-value normalisation, the five predefined entities, character
// references, CDATA). Comments, processing instructions and a DOCTYPE without internal entities are skipped.

import { MetricsInputError } from '../bleu/errors.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Elements and character data in document order (adjacent data merged). */
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:\u00C0-\uFFFF][-A-Za-z0-9_:.\u00B7\u00C0-\uFFFF]*/y;
const WHITESPACE = /[ \t\n]*/y;

class XmlReader {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly file: string | undefined,
  ) {}

  fail(message: string): never {
    const line = this.text.slice(0, this.pos).split('\n').length;
    throw new MetricsInputError('INVALID_XML', `${this.file ?? 'XML'}:${line}: ${message}`, { file: this.file, line });
  }

  private startsWith(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  private skipPast(token: string, what: string): void {
    const end = this.text.indexOf(token, this.pos);
    if (end < 0) this.fail(`unterminated ${what}`);
    this.pos = end + token.length;
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  private readName(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.text);
    if (!match) this.fail('expected a name');
    this.pos = NAME.lastIndex;
    return match[0];
  }

  decodeReferences(raw: string): string {
    return raw.replace(/&([^;&\s]*);?/g, (whole, body: string) => {
      if (!whole.endsWith(';')) this.fail(`unterminated reference "${whole}"`);
      if (body.startsWith('#x')) return this.codePoint(Number.parseInt(body.slice(2), 16), whole);
      if (body.startsWith('#')) return this.codePoint(Number.parseInt(body.slice(1), 10), whole);
      const value = PREDEFINED_ENTITIES[body];
      if (value === undefined) this.fail(`undefined entity "${whole}"`);
      return value;
    });
  }

  private codePoint(value: number, reference: string): string {
    if (!Number.isInteger(value) || value <= 0 || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
      this.fail(`invalid character reference "${reference}"`);
    }
    return String.fromCodePoint(value);
  }

  /** Skips comments, processing instructions, whitespace and a DOCTYPE before or after the root element. */
  private skipMisc(): void {
    for (;;) {
      this.skipWhitespace();
      if (this.startsWith('<!--')) this.skipPast('-->', 'comment');
      else if (this.startsWith('<?')) this.skipPast('?>', 'processing instruction');
      else if (this.startsWith('<!DOCTYPE')) {
        const close = this.text.indexOf('>', this.pos);
        const bracket = this.text.indexOf('[', this.pos);
        if (bracket >= 0 && bracket < close) this.fail('DOCTYPE internal subsets are not supported');
        this.skipPast('>', 'DOCTYPE');
      } else return;
    }
  }

  readDocument(): XmlElement {
    this.skipMisc();
    if (!this.startsWith('<')) this.fail('expected the root element');
    const root = this.readElement();
    this.skipMisc();
    if (this.pos < this.text.length) this.fail('content after the root element');
    return root;
  }

  private readAttributes(element: XmlElement): boolean {
    for (;;) {
      const before = this.pos;
      this.skipWhitespace();
      if (this.startsWith('/>')) {
        this.pos += 2;
        return true;
      }
      if (this.startsWith('>')) {
        this.pos += 1;
        return false;
      }
      if (this.pos === before) this.fail(`expected whitespace or the end of tag <${element.name}>`);
      const name = this.readName();
      this.skipWhitespace();
      if (!this.startsWith('=')) this.fail(`attribute ${name} lacks "="`);
      this.pos += 1;
      this.skipWhitespace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`attribute ${name} value is not quoted`);
      const end = this.text.indexOf(quote, this.pos + 1);
      if (end < 0) this.fail(`unterminated value of attribute ${name}`);
      const raw = this.text.slice(this.pos + 1, end);
      if (raw.includes('<')) this.fail(`"<" in the value of attribute ${name}`);
      if (name in element.attributes) this.fail(`duplicate attribute ${name}`);
      // Literal tabs / newlines become spaces; character references keep what they encode.
      element.attributes[name] = this.decodeReferences(raw.replace(/[\t\n]/g, ' '));
      this.pos = end + 1;
    }
  }

  private readElement(): XmlElement {
    this.pos += 1; // '<'
    const element: XmlElement = { name: this.readName(), attributes: {}, children: [] };
    if (this.readAttributes(element)) return element;
    let data = '';
    const flush = () => {
      if (data) element.children.push(data);
      data = '';
    };
    for (;;) {
      const lt = this.text.indexOf('<', this.pos);
      if (lt < 0) this.fail(`element <${element.name}> is not closed`);
      data += this.decodeReferences(this.text.slice(this.pos, lt));
      this.pos = lt;
      if (this.startsWith('</')) {
        this.pos += 2;
        const name = this.readName();
        this.skipWhitespace();
        if (name !== element.name || !this.startsWith('>')) this.fail(`</${name}> does not close <${element.name}>`);
        this.pos += 1;
        flush();
        return element;
      }
      if (this.startsWith('<![CDATA[')) {
        const end = this.text.indexOf(']]>', this.pos);
        if (end < 0) this.fail('unterminated CDATA section');
        data += this.text.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.startsWith('<!--')) this.skipPast('-->', 'comment');
      else if (this.startsWith('<?')) this.skipPast('?>', 'processing instruction');
      else {
        flush();
        element.children.push(this.readElement());
      }
    }
  }
}

/** Parses an XML document (already decoded to a string) and returns its root element. */
export function parseXml(text: string, file?: string): XmlElement {
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  return new XmlReader(normalized, file).readDocument();
}

/** ElementTree's `element.text`: the character data before the first child element, or null if there is none. */
export function elementText(element: XmlElement): string | null {
  const first = element.children[0];
  return typeof first === 'string' ? first : null;
}

/** ElementTree's `root.iter(name)`: every element with that name, depth first, document order. */
export function* iterElements(root: XmlElement, name: string): Generator<XmlElement> {
  if (root.name === name) yield root;
  for (const child of root.children) if (typeof child !== 'string') yield* iterElements(child, name);
}
