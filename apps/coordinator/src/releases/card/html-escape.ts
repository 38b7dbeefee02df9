/**
 * Escapes text for HTML element content and double- or single-quoted attribute values (the five
 * characters of the OWASP XSS prevention rules: & < > " '). Every string that reaches the model
 * card's HTML or SVG goes through this, numbers included, so a site name cannot inject markup.
 *
 * @example escapeHtml('<b>"St Mary\'s" & co</b>') // '&lt;b&gt;&quot;St Mary&#39;s&quot; &amp; co&lt;/b&gt;'
 */
export function escapeHtml(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
