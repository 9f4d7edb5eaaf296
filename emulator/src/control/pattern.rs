//! Path patterns for fault rules and journal filters: globs (`/scim/v2/Users/*`) or regular
//! expressions.

use std::fmt;

use regex::Regex;

/// A compiled path pattern.
///
/// Globs: `*` matches any run of characters except `/` (one path segment or part of one), `**`
/// matches anything including `/`, `?` one character except `/`; everything else is literal.
/// A glob must match the whole path.
#[derive(Clone)]
pub struct PathPattern {
    source: String,
    regex: Regex,
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PathPattern({:?})", self.source)
    }
}

impl PathPattern {
    /// Compiles a glob.
    pub fn parse(glob: &str) -> Result<PathPattern, String> {
        if glob.is_empty() {
            return Err("path pattern must not be empty".into());
        }
        let mut re = String::with_capacity(glob.len() * 2 + 2);
        re.push('^');
        let mut chars = glob.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    re.push_str(".*");
                }
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push('$');
        let regex = Regex::new(&re).map_err(|e| format!("invalid path glob {glob:?}: {e}"))?;
        Ok(PathPattern { source: glob.to_owned(), regex })
    }

    /// Compiles a regular expression (unanchored unless it anchors itself).
    pub fn regex(pattern: &str) -> Result<PathPattern, String> {
        let regex = Regex::new(pattern).map_err(|e| {
            format!("invalid path_regex {pattern:?}: {}", first_line(&e.to_string()))
        })?;
        Ok(PathPattern { source: pattern.to_owned(), regex })
    }

    /// Does `path` match?
    pub fn matches(&self, path: &str) -> bool {
        self.regex.is_match(path)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

fn first_line(s: &str) -> String {
    // regex errors are multi-line ASCII art; the last line says what is wrong.
    s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_in_one_segment_and_double_star_crosses() {
        let p = PathPattern::parse("/scim/v2/Users/*").unwrap();
        assert!(p.matches("/scim/v2/Users/ABC"));
        assert!(!p.matches("/scim/v2/Users"));
        assert!(!p.matches("/scim/v2/Users/ABC/x"));
        let p = PathPattern::parse("/api/**").unwrap();
        assert!(p.matches("/api/v2/auditevents"));
        let p = PathPattern::parse("/scim/v2/Users").unwrap();
        assert!(p.matches("/scim/v2/Users") && !p.matches("/scim/v2/Users2"));
        let p = PathPattern::parse("/a.b?").unwrap();
        assert!(p.matches("/a.bc") && !p.matches("/aXbc"));
    }

    #[test]
    fn regexes_compile_or_explain() {
        assert!(
            PathPattern::regex("^/scim/v2/Users/[A-Z2-7]{26}$")
                .unwrap()
                .matches("/scim/v2/Users/ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        );
        let err = PathPattern::regex("(unclosed").unwrap_err();
        assert!(err.contains("path_regex") && err.contains("unclosed"), "{err}");
        assert!(PathPattern::parse("").is_err());
    }
}
