/** Stylesheets bundled as text (esbuild's text loader), added with the page's nonce. */
declare module '*.css' {
  const css: string;
  export default css;
}
