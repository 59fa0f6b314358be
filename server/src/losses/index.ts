export * from './careMasks';
export * from './camResize';
export * from './attention';
