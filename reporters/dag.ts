/** Renders the stage graph for `gitml dag`. Pure: takes names and edges, returns text. */

export type DagFormat = 'ascii' | 'mermaid' | 'dot' | 'json';
export const DAG_FORMATS: readonly DagFormat[] = ['ascii', 'mermaid', 'dot', 'json'];

export interface DagInput {
  /** Stage names in topological order. */
  nodes: string[];
  /** Data flow: `from` produces something `to` depends on. */
  edges: { from: string; to: string }[];
}

export function renderDag(dag: DagInput, format: DagFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ stages: dag.nodes, edges: dag.edges }, null, 2)}\n`;
    case 'dot':
      return [
        'digraph pipeline {',
        '  rankdir=TB;',
        ...dag.nodes.map((n) => `  ${JSON.stringify(n)};`),
        ...dag.edges.map((e) => `  ${JSON.stringify(e.from)} -> ${JSON.stringify(e.to)};`),
        '}',
        '',
      ].join('\n');
    case 'mermaid': {
      // Stage names may hold `@` and `.`, which Mermaid ids do not allow; ids are positional, labels carry the name.
      const id = new Map(dag.nodes.map((n, i) => [n, `s${i}`]));
      return [
        'flowchart TD',
        ...dag.nodes.map((n) => `  ${id.get(n)}["${n.replace(/"/g, '#quot;')}"]`),
        ...dag.edges.map((e) => `  ${id.get(e.from)} --> ${id.get(e.to)}`),
        '',
      ].join('\n');
    }
    case 'ascii':
      return renderTree(dag);
  }
}

/** A tree from each stage without upstream; a stage reached again is marked instead of repeated. */
function renderTree(dag: DagInput): string {
  const children = new Map(dag.nodes.map((n) => [n, [] as string[]]));
  const hasParent = new Set<string>();
  for (const e of dag.edges) {
    children.get(e.from)!.push(e.to);
    hasParent.add(e.to);
  }
  const lines: string[] = [];
  const shown = new Set<string>();
  const walk = (name: string, prefix: string, branch: string) => {
    const again = shown.has(name);
    lines.push(`${prefix}${branch}${name}${again ? ' (see above)' : ''}`);
    if (again) return;
    shown.add(name);
    const kids = children.get(name)!;
    const childPrefix = prefix + (branch === '' ? '' : branch === '└── ' ? '    ' : '│   ');
    kids.forEach((k, i) => walk(k, childPrefix, i === kids.length - 1 ? '└── ' : '├── '));
  };
  for (const root of dag.nodes.filter((n) => !hasParent.has(n))) walk(root, '', '');
  return lines.length ? `${lines.join('\n')}\n` : '(no stages)\n';
}
