//! LOLWUT: a piece of computer art and the version line, as Redis answers
//! it. Version 5 (and 6) draws reddish's own take on Georg Nees's
//! "Schotter": a column of squares that grow more disordered row by row,
//! plotted on a canvas printed in Braille characters (2×4 dots each);
//! any other version prints only the version line.

use super::int_arg;
use crate::server::client::Client;
use crate::server::errors::CmdResult;
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;
use crate::util::Rng;
use crate::version::REDIS_VERSION;

/// A canvas of dots, printed as Braille characters.
struct Canvas {
    width: usize,
    height: usize,
    dots: Vec<bool>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            dots: vec![false; width * height],
        }
    }

    fn set(&mut self, x: i64, y: i64) {
        if x < 0 || y < 0 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        if x < self.width && y < self.height {
            if let Some(dot) = self.dots.get_mut(y * self.width + x) {
                *dot = true;
            }
        }
    }

    fn get(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.dots.get(y * self.width + x) == Some(&true)
    }

    /// A straight line between two points (Bresenham).
    fn line(&mut self, from: (i64, i64), to: (i64, i64)) {
        let (mut x, mut y) = from;
        let (dx, dy) = ((to.0 - x).abs(), -(to.1 - y).abs());
        let (sx, sy) = (if x < to.0 { 1 } else { -1 }, if y < to.1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.set(x, y);
            if (x, y) == to {
                break;
            }
            let twice = 2 * err;
            if twice >= dy {
                err += dy;
                x += sx;
            }
            if twice <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// A square of side `size` centred at `centre`, turned by `angle`.
    fn square(&mut self, centre: (f64, f64), size: f64, angle: f64) {
        let half = size / 2.0;
        let corners: Vec<(i64, i64)> = [(-half, -half), (half, -half), (half, half), (-half, half)]
            .iter()
            .map(|&(x, y)| {
                let (sin, cos) = angle.sin_cos();
                let rx = x * cos - y * sin + centre.0;
                let ry = x * sin + y * cos + centre.1;
                (rx.round() as i64, ry.round() as i64)
            })
            .collect();
        for i in 0..4 {
            self.line(corners[i], corners[(i + 1) % 4]);
        }
    }

    /// The canvas as lines of Braille characters, each covering 2×4 dots.
    fn render(&self) -> String {
        // Dot (column, row) within a cell → its bit in the Braille pattern.
        const BITS: [[u32; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let mut out = String::new();
        for cell_y in (0..self.height).step_by(4) {
            for cell_x in (0..self.width).step_by(2) {
                let mut pattern = 0;
                for (dx, column) in BITS.iter().enumerate() {
                    for (dy, bit) in column.iter().enumerate() {
                        if self.get(cell_x + dx, cell_y + dy) {
                            pattern |= bit;
                        }
                    }
                }
                out.push(char::from_u32(0x2800 + pattern).unwrap_or(' '));
            }
            out.push('\n');
        }
        out
    }
}

/// The drawing: `per_row` squares across, `per_column` down, on a canvas
/// `columns` Braille characters wide; row by row the squares are turned
/// and displaced more.
fn schotter(columns: usize, per_row: usize, per_column: usize) -> String {
    let width = columns * 2;
    let side = (width / (per_row + 2)).max(1) as f64;
    let height = (side * (per_column + 2) as f64) as usize;
    let mut canvas = Canvas::new(width, height);
    let mut rng = Rng::seeded(1968);
    for row in 0..per_column {
        let disorder = row as f64 / per_column as f64;
        for column in 0..per_row {
            let jitter = |rng: &mut Rng| (rng.next_f64() - 0.5) * disorder;
            let angle = jitter(&mut rng) * std::f64::consts::FRAC_PI_2;
            let dx = jitter(&mut rng) * side;
            let dy = jitter(&mut rng) * side;
            let centre = (
                side * (column as f64 + 1.5) + dx,
                side * (row as f64 + 1.5) + dy,
            );
            canvas.square(centre, side, angle);
        }
    }
    canvas.render()
}

/// An argument of LOLWUT's drawing, clamped to `range` as Redis clamps it.
fn drawing_arg(
    args: &Args,
    i: usize,
    default: i64,
    range: (i64, i64),
) -> Result<usize, crate::server::errors::CmdError> {
    let value = match args.get(i) {
        Some(arg) => int_arg(arg)?,
        None => default,
    };
    Ok(value.clamp(range.0, range.1) as usize)
}

/// `LOLWUT [VERSION v] [columns [squares-per-row [squares-per-column]]]`.
fn lolwut(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut first = 1;
    let mut version = 7;
    if args.len() >= 3 && args[1].eq_ignore_ascii_case(b"version") {
        version = int_arg(&args[2])?;
        first = 3;
    }
    let mut text = String::new();
    if version == 5 || version == 6 {
        let columns = drawing_arg(args, first, 66, (1, 1000))?;
        let per_row = drawing_arg(args, first + 1, 8, (1, 200))?;
        let per_column = drawing_arg(args, first + 2, 12, (1, 200))?;
        text.push_str(&schotter(columns, per_row, per_column));
        text.push_str("\nAfter Georg Nees, Schotter (1968). ");
    }
    text.push_str("Redis ver. ");
    text.push_str(REDIS_VERSION);
    text.push('\n');
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

pub const COMMANDS: &[Command] = &[Command::new("lolwut", -1, lolwut)
    .flags(flag::READONLY | flag::FAST)
    .acl(acl::READ | acl::FAST)
    .doc(
        "server",
        "5.0.0",
        "",
        "Draws a piece of computer art and the version.",
    )];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawing_has_the_asked_width() {
        let art = schotter(20, 4, 3);
        let lines: Vec<&str> = art.lines().collect();
        assert!(!lines.is_empty());
        assert!(lines.iter().all(|l| l.chars().count() == 20));
        assert!(art.chars().any(|ch| ch != '\u{2800}' && ch != '\n'));
    }

    #[test]
    fn one_column_and_one_square_still_draw() {
        assert!(!schotter(1, 1, 1).is_empty());
    }
}
