import { withRcloneUpload } from '../../../bench/rclone-workloads';

describe('the rclone steps a bench run measures', () => {
  it('adds the upload, first, where a later step is asked for without it', () => {
    expect(withRcloneUpload(['get', 'rclone-list@host'])).toEqual([
      'rclone-up@host',
      'get',
      'rclone-list@host',
    ]);
    expect(withRcloneUpload(['rclone-delete@host'])).toEqual(['rclone-up@host', 'rclone-delete@host']);
  });

  it('leaves a selection alone that has the upload or no rclone step', () => {
    expect(withRcloneUpload(['rclone-up@host', 'rclone-down@host'])).toEqual([
      'rclone-up@host',
      'rclone-down@host',
    ]);
    expect(withRcloneUpload(['get', 'put@host'])).toEqual(['get', 'put@host']);
    expect(withRcloneUpload([])).toEqual([]);
  });
});
