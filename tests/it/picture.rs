//! The README's picture of the TUI: the demo as payments-only, drawn into a TestBackend and
//! written as SVG from the cell grid, with each cell's colours and weight. The checked-in
//! `assets/demo-payments-only.svg` must be what the TUI draws now; to redraw it after a change
//! to the TUI, run `KN_MESH_WRITE_PICTURE=1 cargo test --test it picture`.

use crate::tui_support::{app, payments_only_mesh, press, render};
use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_WIDTH: f32 = 8.4;
const CELL_HEIGHT: u16 = 18;
const BACKGROUND: &str = "#1d1f21";
const FOREGROUND: &str = "#c5c8c6";

/// A terminal colour as a web colour, from a common dark palette.
fn hex(color: Color, default: &str) -> String {
    let named = match color {
        Color::Reset => return default.to_string(),
        Color::Black => "#1d1f21",
        Color::Red => "#cc6666",
        Color::Green => "#b5bd68",
        Color::Yellow => "#f0c674",
        Color::Blue => "#81a2be",
        Color::Magenta => "#b294bb",
        Color::Cyan => "#8abeb7",
        Color::Gray => "#c5c8c6",
        Color::DarkGray => "#707880",
        Color::LightRed => "#d54e53",
        Color::LightGreen => "#b9ca4a",
        Color::LightYellow => "#e7c547",
        Color::LightBlue => "#7aa6da",
        Color::LightMagenta => "#c397d8",
        Color::LightCyan => "#70c0b1",
        Color::White => "#eaeaea",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(n) => return format!("#{n:02x}{n:02x}{n:02x}"),
    };
    named.to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as SVG: a rectangle per cell background that is not the terminal's, and a text
/// run per row segment of one style.
fn svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let width = f32::from(area.width) * CELL_WIDTH;
    let height = area.height * CELL_HEIGHT;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height}\" viewBox=\"0 0 {width:.0} {height}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n"
    );
    for y in 0..area.height {
        let top = y * CELL_HEIGHT;
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (fg, bg) = if reversed {
                (hex(cell.bg, BACKGROUND), hex(cell.fg, FOREGROUND))
            } else {
                (hex(cell.fg, FOREGROUND), hex(cell.bg, BACKGROUND))
            };
            let bold = cell.modifier.contains(Modifier::BOLD);
            let dim = cell.modifier.contains(Modifier::DIM);
            // A run: the following cells of the same style.
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let next = &buffer[(x, y)];
                if next.fg != cell.fg || next.bg != cell.bg || next.modifier != cell.modifier {
                    break;
                }
                text.push_str(next.symbol());
                x += 1;
            }
            let left = f32::from(start) * CELL_WIDTH;
            let run = f32::from(x - start) * CELL_WIDTH;
            if bg != BACKGROUND {
                out.push_str(&format!(
                    "<rect x=\"{left:.1}\" y=\"{top}\" width=\"{run:.1}\" height=\"{CELL_HEIGHT}\" fill=\"{bg}\"/>\n"
                ));
            }
            if !text.trim().is_empty() {
                let weight = if bold { " font-weight=\"bold\"" } else { "" };
                let opacity = if dim { " opacity=\"0.6\"" } else { "" };
                out.push_str(&format!(
                    "<text x=\"{left:.1}\" y=\"{}\" fill=\"{fg}\"{weight}{opacity} xml:space=\"preserve\" textLength=\"{run:.1}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>\n",
                    top + 13,
                    escape(&text)
                ));
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[tokio::test]
async fn the_readme_picture_is_what_the_tui_draws() {
    let mut app = app(payments_only_mesh().await);
    app.show_detail = true;
    // The payments broker's first trigger, as the README's text capture shows it.
    for _ in 0..8 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let drawn = svg(&render(&mut app, 120, 32));
    assert!(
        drawn.contains("payments-only") && drawn.contains("<rect"),
        "{drawn}"
    );
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-payments-only.svg");
    if std::env::var_os("KN_MESH_WRITE_PICTURE").is_some() {
        std::fs::write(&path, &drawn).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == drawn,
        "assets/demo-payments-only.svg is not what the TUI draws now: run KN_MESH_WRITE_PICTURE=1 cargo test --test it picture, and look at it"
    );
}
