//! The MJCF document as an owned element tree: `<include>` elements are replaced by the children
//! of the files they name, and every element remembers the file and line it came from so that
//! errors can point at it.

use crate::error::RobotError;
use std::path::{Path, PathBuf};

/// How deeply `<include>` may nest before we assume a cycle.
const MAX_INCLUDE_DEPTH: usize = 16;
/// How many files one model may read through `<include>`.
const MAX_INCLUDES: usize = 1000;
/// How deeply elements may nest (real models stay below 30; the importer recurses per level).
const MAX_NESTING: usize = 200;

/// One XML element with its attributes and element children (text and comments dropped).
#[derive(Debug, Clone)]
pub(crate) struct Elem {
    /// Tag name (without namespace).
    pub tag: String,
    /// Attributes in document order.
    pub attrs: Vec<(String, String)>,
    /// Element children in document order, includes spliced in.
    pub children: Vec<Elem>,
    /// Index into [`Document::files`] of the file the element was written in.
    pub file: usize,
    /// 1-based line of the element's start tag.
    pub line: u32,
}

impl Elem {
    /// The attribute `key` as written on the element itself.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Element children with tag `tag`.
    pub fn children_named<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Elem> + 'a {
        self.children.iter().filter(move |c| c.tag == tag)
    }

    /// How errors name the element: `geom 'table' (line 12)`, or `geom (line 12)` when unnamed.
    pub fn describe(&self) -> String {
        match self.attr("name") {
            Some(name) => format!("{} '{}' (line {})", self.tag, name, self.line),
            None => format!("{} (line {})", self.tag, self.line),
        }
    }
}

/// A model file with its includes expanded.
#[derive(Debug)]
pub(crate) struct Document {
    /// The `<mujoco>` root element.
    pub root: Elem,
    /// Every file read: the main file first, then included files in the order they were read.
    pub files: Vec<PathBuf>,
    /// The main file's directory, against which includes and `meshdir` are resolved.
    pub main_dir: PathBuf,
}

impl Document {
    /// The file `elem` was written in.
    pub fn file_of(&self, elem: &Elem) -> &Path {
        self.files
            .get(elem.file)
            .or_else(|| self.files.first())
            .map(PathBuf::as_path)
            .unwrap_or_else(|| Path::new("<mjcf>"))
    }

    /// An error about `elem`, naming its file and line.
    pub fn err(&self, elem: &Elem, message: impl Into<String>) -> RobotError {
        RobotError::invalid(self.file_of(elem), elem.describe(), message)
    }
}

/// Parses the main model text (read from `path`) and splices in every `<include>`.
pub(crate) fn load(text: &str, path: &Path) -> Result<Document, RobotError> {
    let main_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut files = vec![path.to_path_buf()];
    let xml = parse_xml(text, path)?;
    let root_node = xml.root_element();
    let root_tag = root_node.tag_name().name();
    if root_tag != "mujoco" {
        let hint = if root_tag == "robot" {
            " (this looks like a URDF file)"
        } else {
            ""
        };
        return Err(RobotError::invalid(
            path,
            format!("<{root_tag}> (line {})", line_of(&xml, root_node)),
            format!("the root element must be <mujoco>{hint}"),
        ));
    }
    let root = convert(&xml, root_node, 0, &main_dir, &mut files, (0, 0))?;
    Ok(Document {
        root,
        files,
        main_dir,
    })
}

/// Whether `text`'s root element is `<mujoco>`.
pub(crate) fn root_is_mujoco(text: &str) -> bool {
    roxmltree::Document::parse(text)
        .map(|d| d.root_element().tag_name().name() == "mujoco")
        .unwrap_or(false)
}

fn parse_xml<'a>(text: &'a str, path: &Path) -> Result<roxmltree::Document<'a>, RobotError> {
    roxmltree::Document::parse(text).map_err(|e| {
        let pos = e.pos();
        RobotError::invalid(
            path,
            format!("XML (line {}, column {})", pos.row, pos.col),
            format!("malformed XML: {e}"),
        )
    })
}

fn line_of(doc: &roxmltree::Document, node: roxmltree::Node) -> u32 {
    doc.text_pos_at(node.range().start).row
}

/// Converts `node` (from file `file`) into an [`Elem`], replacing `<include>` children by the
/// children of the root element of the file they name.
/// `(include depth, element nesting level)`.
type Depth = (usize, usize);

fn convert(
    doc: &roxmltree::Document,
    node: roxmltree::Node,
    file: usize,
    main_dir: &Path,
    files: &mut Vec<PathBuf>,
    (depth, level): Depth,
) -> Result<Elem, RobotError> {
    let mut elem = Elem {
        tag: node.tag_name().name().to_string(),
        attrs: node
            .attributes()
            .map(|a| (a.name().to_string(), a.value().to_string()))
            .collect(),
        children: Vec::new(),
        file,
        line: line_of(doc, node),
    };
    if level > MAX_NESTING {
        let path = files.get(file).cloned().unwrap_or_default();
        return Err(RobotError::invalid(
            &path,
            elem.describe(),
            format!("elements nest deeper than {MAX_NESTING} levels"),
        ));
    }
    for child in node.children().filter(|c| c.is_element()) {
        let converted = convert(doc, child, file, main_dir, files, (depth, level + 1))?;
        if converted.tag == "include" {
            let spliced = read_include(&converted, main_dir, files, (depth + 1, level))?;
            elem.children.extend(spliced);
        } else {
            elem.children.push(converted);
        }
    }
    Ok(elem)
}

/// Reads the file an `<include>` names and returns its root element's children.
fn read_include(
    include: &Elem,
    main_dir: &Path,
    files: &mut Vec<PathBuf>,
    (depth, level): Depth,
) -> Result<Vec<Elem>, RobotError> {
    let including = files
        .get(include.file)
        .cloned()
        .unwrap_or_else(|| main_dir.to_path_buf());
    let err = |message: String| RobotError::invalid(&including, include.describe(), message);
    let Some(name) = include.attr("file") else {
        return Err(err("has no 'file' attribute".into()));
    };
    if depth > MAX_INCLUDE_DEPTH {
        return Err(err(format!(
            "includes nest deeper than {MAX_INCLUDE_DEPTH} levels (does '{name}' include itself?)"
        )));
    }
    if files.len() > MAX_INCLUDES {
        return Err(err(format!(
            "the model includes more than {MAX_INCLUDES} files"
        )));
    }
    let resolved = main_dir.join(name);
    let text = std::fs::read_to_string(&resolved).map_err(|e| {
        err(format!(
            "cannot read included file '{name}' ({}): {e}",
            resolved.display()
        ))
    })?;
    let index = files.len();
    files.push(resolved.clone());
    let xml = parse_xml(&text, &resolved)?;
    let root = convert(
        &xml,
        xml.root_element(),
        index,
        main_dir,
        files,
        (depth, level),
    )?;
    Ok(root.children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_remember_their_lines() {
        let doc = load(
            "<mujoco>\n<worldbody>\n  <geom name='g'/>\n</worldbody>\n</mujoco>",
            Path::new("m.xml"),
        )
        .expect("parses");
        let geom = &doc.root.children[0].children[0];
        assert_eq!(geom.line, 3);
        assert_eq!(geom.describe(), "geom 'g' (line 3)");
    }

    #[test]
    fn a_urdf_is_refused_with_a_hint() {
        let e = load("<robot name='r'/>", Path::new("r.urdf"))
            .expect_err("not MJCF")
            .to_string();
        assert!(e.contains("r.urdf") && e.contains("URDF"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!(
            "<mujoco>{}{}</mujoco>",
            "<body>".repeat(5000),
            "</body>".repeat(5000)
        );
        let e = load(&text, Path::new("deep.xml"))
            .expect_err("too deep")
            .to_string();
        assert!(e.contains("deep.xml") && e.contains("nest deeper"), "{e}");
    }

    #[test]
    fn malformed_xml_names_the_line() {
        let e = load("<mujoco>\n<worldbody>\n</mujoco>", Path::new("bad.xml"))
            .expect_err("malformed")
            .to_string();
        assert!(e.contains("bad.xml") && e.contains("line 3"), "{e}");
    }
}
