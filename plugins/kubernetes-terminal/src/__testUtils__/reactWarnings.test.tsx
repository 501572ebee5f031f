import { render } from '@testing-library/react';
import { takeReactWarnings } from './reactWarnings';

describe('the React warning guard of every test', () => {
  it('catches a list without keys and nesting the DOM does not allow', () => {
    render(
      <div>
        <ul>
          {['a', 'b'].map(item => (
            // eslint-disable-next-line react/jsx-key
            <li>{item}</li>
          ))}
        </ul>
        <p>
          <div>block in a paragraph</div>
        </p>
      </div>,
    );
    const warnings = takeReactWarnings();
    expect(warnings.join('\n')).toMatch(/unique "key" prop/);
    expect(warnings.join('\n')).toMatch(/validateDOMNesting/);
  });

  it('lets through what only the libraries underneath can fix', () => {
    // eslint-disable-next-line no-console
    console.error(
      'Warning: findDOMNode is deprecated and will be removed in the next major release.%s',
      '',
    );
    expect(takeReactWarnings()).toEqual([]);
  });
});
