// A tiny XML reader for tests: checks well-formedness (one root, balanced and properly nested
// tags, quoted attributes, known entities, no '--' in comments) and returns the element tree.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const NAME = '[A-Za-z_][A-Za-z0-9_.:-]*';
const ATTR = new RegExp(`\\s+(${NAME})\\s*=\\s*("[^"<]*"|'[^'<]*')`, 'y');
const ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;|&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The root element, or throws with what is wrong and where. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML not well formed at offset ${i}: ${why}`);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('unterminated declaration');
    i = end + 2;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (ENTITY.test(chunk)) fail('bare & in text');
    if (chunk.trim() !== '' && stack.length === 0) fail('text outside the root element');
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) fail('unterminated comment');
      if (text.slice(i + 4, end).includes('--')) fail("'--' inside a comment");
      i = end + 3;
      continue;
    }
    if (text.startsWith('</', i)) {
      const m = new RegExp(`</(${NAME})\\s*>`, 'y');
      m.lastIndex = i;
      const r = m.exec(text);
      if (r === null) fail('bad end tag');
      const open = stack.pop();
      if (open === undefined || open.name !== r![1])
        fail(`end tag </${r![1]}> does not match <${open?.name}>`);
      i = m.lastIndex;
      continue;
    }
    const m = new RegExp(`<(${NAME})`, 'y');
    m.lastIndex = i;
    const r = m.exec(text);
    if (r === null) fail('bad start tag');
    const el: XmlElement = { name: r![1]!, attrs: {}, children: [] };
    i = m.lastIndex;
    for (;;) {
      ATTR.lastIndex = i;
      const a = ATTR.exec(text);
      if (a === null) break;
      const name = a[1]!;
      if (Object.hasOwn(el.attrs, name)) fail(`attribute ${name} twice`);
      const raw = a[2]!.slice(1, -1);
      if (ENTITY.test(raw)) fail('bare & in an attribute');
      el.attrs[name] = unescapeXml(raw);
      i = ATTR.lastIndex;
    }
    const close = /\s*(\/?)>/y;
    close.lastIndex = i;
    const c = close.exec(text);
    if (c === null) fail(`bad tag <${el.name}>`);
    i = close.lastIndex;
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.children.push(el);
    else if (root === null) root = el;
    else fail('a second root element');
    if (c![1] !== '/') stack.push(el);
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (root === null) fail('no root element');
  return root!;
}

/** Every element below `el` (depth first) with the given name. */
export function descendants(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}
