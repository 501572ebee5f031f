import type { ReactNode } from 'react';
import { renderHook } from '@testing-library/react';
import { alertApiRef } from '@backstage/core-plugin-api';
import { toastApiRef } from '@backstage/frontend-plugin-api';
import { TestApiProvider } from '@backstage/test-utils';
import { useNotify } from './useNotify';

describe('useNotify', () => {
  it("uses the new frontend system's ToastApi where the app has it, not the deprecated AlertApi", () => {
    const toastApi = { post: jest.fn() };
    const alertApi = { post: jest.fn(), alert$: jest.fn() };
    const wrapper = ({ children }: { children: ReactNode }) => (
      <TestApiProvider
        apis={[
          [toastApiRef, toastApi],
          [alertApiRef, alertApi],
        ]}
      >
        {children}
      </TestApiProvider>
    );
    const { result } = renderHook(() => useNotify(), { wrapper });
    result.current({ message: 'Saved', severity: 'success', transient: true });
    result.current({ message: 'Broken', severity: 'error' });
    expect(toastApi.post).toHaveBeenNthCalledWith(1, {
      title: 'Saved',
      status: 'success',
      timeout: 5000,
    });
    expect(toastApi.post).toHaveBeenNthCalledWith(2, {
      title: 'Broken',
      status: 'danger',
      timeout: undefined,
    });
    expect(alertApi.post).not.toHaveBeenCalled();
  });

  it('falls back to the AlertApi in apps without a ToastApi', () => {
    const alertApi = { post: jest.fn(), alert$: jest.fn() };
    const wrapper = ({ children }: { children: ReactNode }) => (
      <TestApiProvider apis={[[alertApiRef, alertApi]]}>
        {children}
      </TestApiProvider>
    );
    const { result } = renderHook(() => useNotify(), { wrapper });
    result.current({ message: 'Done', severity: 'success', transient: true });
    expect(alertApi.post).toHaveBeenCalledWith({
      message: 'Done',
      severity: 'success',
      display: 'transient',
    });
  });
});
