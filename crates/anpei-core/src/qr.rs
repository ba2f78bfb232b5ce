//! QR codes as inline SVG, for the `otpauth://` URI a user scans to set up TOTP
//! ([`crate::totp`]). The `qrcode` crate (without its `image` feature) encodes; the module
//! matrix is drawn here as one `<path>` of horizontal runs, with presentation attributes only
//! (`fill`, `shape-rendering`) and no `style`, so that the SVG can be inlined in a page served
//! under a CSP without `unsafe-inline`.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

/// Light modules around the code, as ISO/IEC 18004 requires.
pub const QUIET_ZONE: usize = 4;
/// Pixels per module of the SVG's intrinsic size (a page may scale it: it is a vector).
pub const MODULE_PX: usize = 4;

/// The text is more than a QR code holds (2,331 bytes at error correction level M).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("内容过长，无法生成二维码")]
pub struct TooLong;

/// The modules of a QR code at error correction level M, in the smallest version that holds
/// the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modules {
    /// Modules per side: `17 + 4 × version`.
    pub width: usize,
    /// The QR version, 1–40.
    pub version: usize,
    dark: Vec<bool>,
}

impl Modules {
    /// Whether the module in column `x`, row `y` (from the top left, quiet zone excluded) is
    /// dark; `false` outside the code.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }
}

/// Encodes `text` (its UTF-8 bytes; the encoder picks byte, alphanumeric or numeric segments)
/// at error correction level M.
pub fn modules(text: &str) -> Result<Modules, TooLong> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M).map_err(|_| TooLong)?;
    let version = match code.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => usize::try_from(v).unwrap_or(0),
    };
    Ok(Modules {
        width: code.width(),
        version,
        dark: code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect(),
    })
}

/// `text` as a QR code in a self-contained `<svg>` element: black modules on white with a
/// quiet zone of [`QUIET_ZONE`] modules, `viewBox` in modules, crisp edges, an intrinsic size
/// of [`MODULE_PX`] pixels per module, `role="img"` and the Chinese label 二维码.
pub fn try_svg(text: &str) -> Result<String, TooLong> {
    Ok(render(&modules(text)?))
}

/// As [`try_svg`]; a text too long for a QR code (never an otpauth URI of a username the
/// platform allows) gives a blank white square rather than a panic in a page handler.
pub fn svg(text: &str) -> String {
    try_svg(text).unwrap_or_else(|TooLong| {
        render(&Modules {
            width: 21,
            version: 0,
            dark: vec![false; 21 * 21],
        })
    })
}

fn render(m: &Modules) -> String {
    let side = m.width + 2 * QUIET_ZONE;
    let px = side * MODULE_PX;
    let mut out = String::with_capacity(256 + m.dark.iter().filter(|d| **d).count() * 8);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{px}" height="{px}" shape-rendering="crispEdges" role="img" aria-label="二维码"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d=""##
    );
    for y in 0..m.width {
        let mut x = 0;
        while x < m.width {
            if !m.is_dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < m.width && m.is_dark(x, y) {
                x += 1;
            }
            let run = x - start;
            let _ = write!(
                out,
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    out.push_str(r#""/></svg>"#);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::totp;

    /// The otpauth URI of the RFC 6238 secret for a typical username.
    fn uri() -> String {
        totp::otpauth_uri(b"12345678901234567890", "zhangsan")
    }

    #[test]
    fn an_otpauth_uri_encodes_in_a_square_of_its_versions_size() {
        let uri = uri();
        assert_eq!(uri.len(), 142);
        let m = modules(&uri).unwrap();
        // 142 bytes at level M: more than version 7 holds in byte mode (122), less than
        // version 8 (152).
        assert_eq!(m.version, 8);
        assert_eq!(m.width, 17 + 4 * m.version);
        assert_eq!(m.dark.len(), m.width * m.width);
        // The three finder patterns: dark 7×7 rings at three corners.
        for (ox, oy) in [(0, 0), (m.width - 7, 0), (0, m.width - 7)] {
            for i in 0..7 {
                assert!(m.is_dark(ox + i, oy) && m.is_dark(ox + i, oy + 6));
                assert!(m.is_dark(ox, oy + i) && m.is_dark(ox + 6, oy + i));
            }
            assert!(!m.is_dark(ox + 1, oy + 1) && m.is_dark(ox + 3, oy + 3));
        }
        // The timing pattern alternates along row 6.
        for x in 8..m.width - 8 {
            assert_eq!(m.is_dark(x, 6), x % 2 == 0);
        }
        assert!(!m.is_dark(m.width, 0));
    }

    #[test]
    fn the_svg_is_self_contained_and_needs_no_inline_style() {
        let uri = uri();
        let m = modules(&uri).unwrap();
        let svg = svg(&uri);
        let side = m.width + 8;
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)));
        assert!(svg.contains(r#"shape-rendering="crispEdges""#));
        assert!(svg.contains(r##"fill="#fff""##) && svg.contains(r##"fill="#000""##));
        assert!(!svg.contains("style"));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("href"));
        // The path starts at the top-left finder pattern, inside the quiet zone.
        assert!(svg.contains(r#"d="M4 4h7v1h-7z"#), "{svg}");
        // Every dark module is drawn once: the runs add up to the dark count.
        let dark = m.dark.iter().filter(|d| **d).count();
        let d = svg.split(r#" d=""#).nth(1).unwrap();
        let drawn: usize = d
            .split('h')
            .skip(1)
            .step_by(2)
            .map(|s| s.split('v').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(drawn, dark);
    }

    /// Draws the runs of the SVG's path at `scale` pixels per module, as a browser would.
    fn rasterise(svg: &str, scale: usize) -> (usize, Vec<bool>) {
        let side: usize = svg
            .split(r#"viewBox="0 0 "#)
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap()
            .parse()
            .unwrap();
        let d = svg
            .split(r#" d=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let px = side * scale;
        let mut dark = vec![false; px * px];
        for run in d.split('M').skip(1) {
            let (x, rest) = run.split_once(' ').unwrap();
            let (y, rest) = rest.split_once('h').unwrap();
            let n = rest.split('v').next().unwrap();
            let (x, y, n): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
            for py in y * scale..(y + 1) * scale {
                for pxl in x * scale..(x + n) * scale {
                    dark[py * px + pxl] = true;
                }
            }
        }
        (px, dark)
    }

    #[test]
    fn the_svg_reads_back_as_the_uri() {
        for text in [
            uri(),
            totp::otpauth_uri(&[0xa5; 20], "安全员_王小明"),
            "1".to_string(),
        ] {
            let (px, dark) = rasterise(&svg(&text), 3);
            let mut img = rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| {
                if dark[y * px + x] {
                    0
                } else {
                    255
                }
            });
            let grids = img.detect_grids();
            assert_eq!(grids.len(), 1, "{text}");
            let (_, decoded) = grids[0].decode().unwrap();
            assert_eq!(decoded, text);
        }
    }

    #[test]
    fn text_too_long_is_an_error_or_a_blank_square() {
        let long = "x".repeat(3000);
        assert_eq!(try_svg(&long), Err(TooLong));
        let blank = svg(&long);
        assert!(blank.contains(r#"d="""#) && blank.contains(r#"viewBox="0 0 29 29""#));
    }
}
