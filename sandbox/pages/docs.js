// Renders /openapi.json (generated from the code) as a readable page: routes by tag, parameters, request
// body, answers and error codes, and the schemas. Nothing is fetched but the document itself.
import { el } from './common.js';

const json = (value) => el('pre', {}, JSON.stringify(value, null, 2));

function schemaOf(content) {
  return content?.['application/json']?.schema ?? content?.[Object.keys(content ?? {})[0]]?.schema;
}

function operation(path, method, op) {
  const params = op.parameters ?? [];
  return el(
    'details',
    { class: 'operation', id: op.operationId },
    el(
      'summary',
      {},
      el('span', { class: `method ${method}` }, method.toUpperCase()),
      ' ',
      el('code', {}, path),
      ' — ',
      op.summary,
      op.security?.length
        ? el('span', { class: 'muted' }, `  (${op.security.map((s) => Object.keys(s)[0]).join(', ')})`)
        : '',
    ),
    op.description ? el('p', {}, op.description) : null,
    params.length
      ? el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'parameter'),
              el('th', {}, 'in'),
              el('th', {}, 'required'),
              el('th', {}, 'schema'),
            ),
          ),
          el(
            'tbody',
            {},
            params.map((p) =>
              el(
                'tr',
                {},
                el('td', {}, el('code', {}, p.name)),
                el('td', {}, p.in),
                el('td', {}, p.required ? 'yes' : 'no'),
                el('td', {}, el('code', {}, JSON.stringify(p.schema))),
              ),
            ),
          ),
        )
      : null,
    op.requestBody
      ? el(
          'div',
          {},
          el('h4', {}, 'Request body'),
          op.requestBody.description ? el('p', {}, op.requestBody.description) : null,
          json(schemaOf(op.requestBody.content)),
        )
      : null,
    el('h4', {}, 'Answers'),
    el(
      'table',
      {},
      el(
        'tbody',
        {},
        Object.entries(op.responses).map(([status, r]) =>
          el(
            'tr',
            {},
            el('td', {}, el('strong', {}, status)),
            el(
              'td',
              {},
              r.description,
              r['x-error-codes']
                ? el(
                    'div',
                    {},
                    r['x-error-codes'].map((c) => el('code', { class: 'error-code' }, c, ' ')),
                  )
                : null,
              !r['x-error-codes'] && schemaOf(r.content)
                ? el('div', {}, el('code', {}, schemaOf(r.content).$ref ?? 'inline schema'))
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

(async () => {
  const doc = await (await fetch('/openapi.json')).json();
  const main = document.getElementById('doc');
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  main.replaceChildren(
    el(
      'section',
      {},
      el(
        'h1',
        {},
        doc.info.title,
        ' ',
        el('span', { class: 'muted' }, `OpenAPI ${doc.openapi}, v${doc.info.version}`),
      ),
      el('p', {}, doc.info.description),
    ),
    ...[...byTag].map(([tag, ops]) => el('section', { id: `tag-${tag}` }, el('h2', {}, tag), ops)),
    el(
      'section',
      { id: 'schemas' },
      el('h2', {}, 'Schemas'),
      Object.entries(doc.components.schemas).map(([name, schema]) =>
        el('details', { id: `schema-${name}` }, el('summary', {}, name), json(schema)),
      ),
    ),
  );
})();
