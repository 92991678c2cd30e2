import { PathIndex } from '../../../../src/webdav/locks/path-index';

describe('PathIndex', () => {
  const filled = () => {
    const index = new PathIndex<string>();
    index.add('/', 'root');
    index.add('/a', 'a');
    index.add('/a/b', 'ab');
    index.add('/a/b', 'ab2');
    index.add('/a/bc', 'abc'); // a sibling with the same prefix, never an ancestor of /a/b/...
    index.add('/a/b/c/d', 'abcd');
    return index;
  };

  it('finds what is filed along a path, the root first, marking the path itself', () => {
    expect(filled().along('/a/b/c')).toEqual([
      { value: 'root', exact: false },
      { value: 'a', exact: false },
      { value: 'ab', exact: false },
      { value: 'ab2', exact: false },
    ]);
    expect(filled().along('/a/b')).toEqual([
      { value: 'root', exact: false },
      { value: 'a', exact: false },
      { value: 'ab', exact: true },
      { value: 'ab2', exact: true },
    ]);
    expect(filled().along('/')).toEqual([{ value: 'root', exact: true }]);
    expect(filled().along('/zz/y')).toEqual([{ value: 'root', exact: false }]);
  });

  it('finds what is filed strictly below a path, and exactly at it', () => {
    expect(filled().below('/a/b').sort()).toEqual(['abcd']);
    expect(filled().below('/a').sort()).toEqual(['ab', 'ab2', 'abc', 'abcd']);
    expect(filled().below('/nothing')).toEqual([]);
    expect(filled().at('/a/b').sort()).toEqual(['ab', 'ab2']);
    expect(filled().at('/a/b/c')).toEqual([]);
  });

  it('forgets removed values and the levels they alone kept', () => {
    const index = filled();
    index.remove('/a/b/c/d', 'abcd');
    index.remove('/a/b', 'ab');
    index.remove('/a/b', 'not filed');
    index.remove('/not/there', 'x');
    expect(index.below('/a').sort()).toEqual(['ab2', 'abc']);
    index.remove('/a/b', 'ab2');
    index.add('/a/b/x', 'abx');
    expect(index.along('/a/b/x').map(({ value }) => value)).toEqual(['root', 'a', 'abx']);
  });

  it('walks a path thousands of levels deep', () => {
    const index = new PathIndex<number>();
    const deep = '/b'.repeat(5000);
    index.add(deep, 1);
    index.add('/b'.repeat(2500), 2);
    expect(index.along(deep + '/file').map(({ value }) => value)).toEqual([2, 1]);
    expect(index.below('/b')).toEqual(expect.arrayContaining([1, 2]));
  });
});
