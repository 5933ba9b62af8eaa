//! Owns where a dataset's rows come from: the file its scorecard names, or what the project binds
//! the dataset to in `scorecard.toml` (another file, or a PostgreSQL table or query), so that one
//! reviewed scorecard runs on a sample and on production data.

use scorecard_model::{Dataset, SourceFormat};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(FileSource),
    Postgres(PostgresSource),
    /// Rows written in the scorecard itself: a `test`'s data, CSV text read from memory.
    Inline(InlineSource),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineSource {
    /// The rows as CSV, a header first.
    pub csv: String,
    /// Where the rows are written, for messages: "the data for `orders` (CSV line 1 is scorecard
    /// line 12)", followed by `:LINE:COLUMN` as a file's name would be.
    pub shown: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSource {
    /// Where the file is.
    pub path: PathBuf,
    /// Where the file is, for messages.
    pub shown: String,
    /// As written in the scorecard or in `scorecard.toml`, for the manifest.
    pub written: String,
    pub format: SourceFormat,
    pub sheet: Option<String>,
    pub range: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresSource {
    /// A connection string: `postgresql://user:password@host:port/database`, or `host=… user=…`.
    pub url: String,
    /// The rows: a table (optionally `schema.table`), or the rows of a query.
    pub rows: PostgresRows,
    /// `pushdown = true`: the server computes the aggregate passes, and only their results are
    /// sent (docs/sources.md says when the rows are read all the same).
    pub pushdown: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostgresRows {
    Table(String),
    Query(String),
}

impl Source {
    /// The source a scorecard's dataset declares, relative paths resolved against `data_dir`.
    pub fn declared(ds: &Dataset, data_dir: &Path) -> Source {
        Source::File(FileSource {
            path: data_dir.join(&ds.source),
            shown: data_dir.join(&ds.source).display().to_string(),
            written: ds.source.clone(),
            format: ds.format,
            sheet: ds.sheet.clone(),
            range: ds.range.clone(),
        })
    }
}

impl PostgresSource {
    /// Where the rows come from, for messages and the manifest, with any password left out.
    pub fn shown(&self) -> String {
        let what = match &self.rows {
            PostgresRows::Table(t) => format!("table {t}"),
            PostgresRows::Query(_) => "query".to_string(),
        };
        format!("{} {what}", redact(&self.url))
    }
}

/// A connection string with its password replaced by `***`, in both the URL form
/// (`postgresql://user:secret@host/db`) and the key-value form (`password=secret`).
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        // The user information ends at the last `@`: a password may hold `/`, `?` or `@` (the
        // driver takes them), so the first `/` is not where it ends. An `@` later in the query
        // hides more than needed, never less.
        let (user, rest) = match rest.rfind('@') {
            Some(at) => {
                let info = &rest[..at];
                let shown = match info.split_once(':') {
                    Some((name, _)) => format!("{name}:***@"),
                    None => format!("{info}@"),
                };
                (shown, &rest[at + 1..])
            }
            None => (String::new(), rest),
        };
        let tail = match rest.split_once('?') {
            Some((path, query)) => format!("{path}?{}", redact_pairs(query, '&')),
            None => rest.to_string(),
        };
        return format!("{scheme}://{user}{tail}");
    }
    redact_keywords(url)
}

/// A `key = value` connection string (libpq's keyword form: spaces allowed around `=`, a value
/// quoted with `'…'` or not, `\` escaping the next character) with the password's value replaced;
/// read as libpq reads it, so that no spacing or quoting shows any of it. Text that is not such a
/// string is not shown at all.
fn redact_keywords(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut pairs: Vec<String> = Vec::new();
    let unreadable = || "(a connection string that could not be read, not shown)".to_string();
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if key.is_empty() || i == chars.len() || chars[i] != '=' {
            return unreadable();
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let value_start = i;
        let quoted = chars.get(i) == Some(&'\'');
        if quoted {
            i += 1;
        }
        loop {
            match chars.get(i) {
                None if quoted => return unreadable(),
                None => break,
                Some('\\') => i += 2,
                Some('\'') if quoted => {
                    i += 1;
                    break;
                }
                Some(c) if !quoted && c.is_whitespace() => break,
                Some(_) => i += 1,
            }
        }
        let value: String = chars[value_start..i.min(chars.len())].iter().collect();
        pairs.push(match key.as_str() {
            "password" | "sslpassword" => format!("{key}=***"),
            _ => format!("{key}={value}"),
        });
    }
    pairs.join(" ")
}

/// `password=…` in a list of `key=value` pairs separated by `sep`, replaced; a quoted password
/// may hold the separator.
fn redact_pairs(text: &str, sep: char) -> String {
    let mut kept: Vec<String> = Vec::new();
    let mut hiding = false;
    for part in text.split(sep) {
        if hiding {
            hiding = !part.ends_with('\'');
        } else if let Some((key, value)) = part
            .split_once('=')
            .filter(|(k, _)| matches!(*k, "password" | "sslpassword"))
        {
            kept.push(format!("{key}=***"));
            hiding = value.starts_with('\'') && !(value.len() > 1 && value.ends_with('\''));
        } else {
            kept.push(part.to_string());
        }
    }
    kept.join(&sep.to_string())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgresql://ann:s3cret@db.example:5432/sales?sslmode=disable"),
            "postgresql://ann:***@db.example:5432/sales?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://ann@db/sales?password=s3cret&application_name=x"),
            "postgres://ann@db/sales?password=***&application_name=x"
        );
        assert_eq!(
            redact("host=db user=ann password='two words' dbname=sales"),
            "host=db user=ann password=*** dbname=sales"
        );
        assert_eq!(redact("host=db password=x"), "host=db password=***");
        // libpq takes spaces around `=` and escaped spaces: none of the password shows.
        assert_eq!(
            redact("host=localhost user=ann password = s3cret dbname=sales"),
            "host=localhost user=ann password=*** dbname=sales"
        );
        assert_eq!(
            redact("host=db password=scor\\ ecard dbname=x"),
            "host=db password=*** dbname=x"
        );
        assert_eq!(
            redact("password = 'it''s \\' x' host=db"),
            "(a connection string that could not be read, not shown)"
        );
        assert_eq!(redact("host=db password="), "host=db password=***");
        assert_eq!(redact("postgresql://db/sales"), "postgresql://db/sales");
    }
}
