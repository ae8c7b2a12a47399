import { describe, expect, it } from 'vitest';
import { formatProblem, InvalidConfigError, InvalidPipelineError, MAX_SHOWN_PROBLEMS, type Problem } from '../core/errors.js';

const problem = (line: number, message = 'invalid YAML: Unexpected scalar', file = 'ml.yaml'): Problem => ({
  file,
  line,
  col: 3,
  path: '',
  message,
});

describe('formatProblem', () => {
  it('puts the version of a file read at a revision after its position, as lockfile errors do', () => {
    expect(formatProblem({ ...problem(4), path: 'stages.a', message: 'bad', source: 'at HEAD~1' })).toBe('ml.yaml:4:3 (at HEAD~1): stages.a: bad');
    expect(formatProblem({ ...problem(4), message: 'bad' })).toBe('ml.yaml:4:3: bad');
  });
});

describe('problem lists', () => {
  it('show the first ten, then how many more and where, with a hint for YAML syntax errors', () => {
    const problems = Array.from({ length: 116 }, (_, i) => problem(i + 1));
    const err = new InvalidPipelineError(problems);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(MAX_SHOWN_PROBLEMS + 2);
    expect(lines[0]).toBe('ml.yaml:1:3: invalid YAML: Unexpected scalar');
    expect(lines[9]).toBe('ml.yaml:10:3: invalid YAML: Unexpected scalar');
    expect(lines[10]).toBe('... and 106 more problems in ml.yaml');
    expect(lines[11]).toMatch(/^hint: the first YAML syntax error is usually the cause/);
    // Scripts still get every problem.
    expect(err.data.problems).toHaveLength(116);
    expect(err.problems).toHaveLength(116);
  });

  it('name every file the rest are in', () => {
    const problems = [...Array.from({ length: 11 }, (_, i) => problem(i + 1, 'x')), problem(1, 'y', 'params.yaml')];
    expect(new InvalidConfigError(problems).message.split('\n').slice(-1)).toEqual(['... and 2 more problems in ml.yaml, params.yaml']);
  });

  it('print a short list whole, with no hint for a single error or for schema problems', () => {
    expect(new InvalidPipelineError([problem(2)]).message).toBe('ml.yaml:2:3: invalid YAML: Unexpected scalar');
    const schema = [problem(2, 'unknown key `cmdd`'), problem(5, 'must be a list')];
    expect(new InvalidPipelineError(schema).message).toBe('ml.yaml:2:3: unknown key `cmdd`\nml.yaml:5:3: must be a list');
  });
});
