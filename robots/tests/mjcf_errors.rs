//! Bad MJCF gets an error naming the file and the element, never a panic.

use proptest::prelude::*;
use robots::{parse_mjcf_str, read_mjcf_file};
use std::path::{Path, PathBuf};

const FILE: &str = "/nonexistent/bad_model.xml";

fn error_of(text: &str) -> String {
    match parse_mjcf_str(text, Path::new(FILE)) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn assert_names(msg: &str, parts: &[&str]) {
    assert!(msg.contains("bad_model.xml"), "no file name in: {msg}");
    for p in parts {
        assert!(msg.contains(p), "'{p}' missing from: {msg}");
    }
}

/// A world with one pendulum, with `body_extra` inside the pendulum body and `top_extra` at the
/// top level.
fn model(body_extra: &str, top_extra: &str) -> String {
    format!(
        r#"<mujoco>
  <worldbody>
    <body name="pendulum" pos="0 0 1">
      <joint name="swing" axis="0 1 0"/>
      <geom name="bob" size="0.1"/>
      {body_extra}
    </body>
  </worldbody>
  {top_extra}
</mujoco>"#
    )
}

#[test]
fn the_template_is_valid() {
    let scene = parse_mjcf_str(&model("", ""), Path::new(FILE)).expect("valid");
    assert_eq!(scene.articulations.len(), 1);
}

#[test]
fn malformed_xml_names_the_line() {
    let msg = error_of("<mujoco>\n  <worldbody>\n    <body>\n  </worldbody>\n</mujoco>");
    assert_names(&msg, &["line 4", "malformed XML"]);
}

#[test]
fn unknown_joint_type() {
    let msg = error_of(&model(
        r#"<body name="c"><joint name="screwy" type="screw"/><geom size="0.1"/></body>"#,
        "",
    ));
    assert_names(&msg, &["joint 'screwy' (line 6)", "screw"]);
}

#[test]
fn missing_mesh_file() {
    let msg = error_of(&model(
        "",
        r#"<asset><mesh name="hull" file="no_such_hull.stl"/></asset>"#,
    ));
    assert_names(&msg, &["mesh 'hull'", "no_such_hull.stl", "not found"]);
}

#[test]
fn unknown_mesh_name() {
    let msg = error_of(&model(
        r#"<geom name="shell" type="mesh" mesh="nope"/>"#,
        "",
    ));
    assert_names(&msg, &["geom 'shell'", "nope"]);
}

#[test]
fn missing_include() {
    let msg = error_of(&model("", r#"<include file="parts/missing_part.xml"/>"#));
    assert_names(&msg, &["include (line 9)", "missing_part.xml"]);
}

#[test]
fn nan_position() {
    let msg = error_of(&model(
        r#"<body name="broken" pos="0 nan 0"><geom size="1"/></body>"#,
        "",
    ));
    assert_names(&msg, &["body 'broken'", "'pos'", "nan"]);
}

#[test]
fn negative_mass() {
    let msg = error_of(&model(r#"<inertial mass="-2" diaginertia="1 1 1"/>"#, ""));
    assert_names(&msg, &["inertial (line 6)", "mass", "negative"]);
}

#[test]
fn unknown_default_class() {
    let msg = error_of(&model(
        r#"<geom name="odd" class="no_such_class" size="1"/>"#,
        "",
    ));
    assert_names(&msg, &["geom 'odd'", "no_such_class"]);
}

#[test]
fn unknown_joint_in_actuator() {
    let msg = error_of(&model(
        "",
        r#"<actuator><position name="servo" joint="ghost" kp="1"/></actuator>"#,
    ));
    assert_names(&msg, &["position 'servo'", "ghost"]);
}

#[test]
fn more_errors_name_their_element() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            model(
                r#"<body name="twojoints"><joint/><joint/><geom size="1"/></body>"#,
                "",
            ),
            vec!["body 'twojoints'", "more than one joint"],
        ),
        (
            model(
                r#"<body name="loose"><freejoint/><geom size="1"/></body>"#,
                "",
            ),
            vec!["body 'loose'", "top-level"],
        ),
        (
            model("", r#"<keyframe><key name="home" qpos="1 2"/></keyframe>"#),
            vec!["key 'home'", "qpos", "2 values"],
        ),
        (
            model(
                r#"<body name="c"><joint name="flat" axis="0 0 0"/><geom size="1"/></body>"#,
                "",
            ),
            vec!["joint 'flat'", "axis"],
        ),
        (
            model("", r#"<compiler coordinate="global"/>"#),
            vec!["compiler", "global"],
        ),
        (
            model(r#"<geom name="terrain" type="hfield"/>"#, ""),
            vec!["geom 'terrain'", "unsupported geom type"],
        ),
        (
            model(
                "",
                r#"<tendon><fixed name="t"><joint joint="nope" coef="1"/></fixed></tendon>"#,
            ),
            vec!["joint (line", "nope"],
        ),
        (
            model(
                "",
                r#"<contact><pair geom1="bob" geom2="nothing"/></contact>"#,
            ),
            vec!["pair (line", "nothing"],
        ),
        (
            model(
                "",
                r#"<contact><exclude body1="pendulum" body2="nobody"/></contact>"#,
            ),
            vec!["exclude (line", "nobody"],
        ),
        (
            model(
                r#"<body name="c"><joint name="lim" range="2 1"/><geom size="1"/></body>"#,
                "",
            ),
            vec!["joint 'lim'", "range"],
        ),
        (
            model(r#"<geom name="tiny" type="box" size="1 2"/>"#, ""),
            vec!["geom 'tiny'", "size"],
        ),
        (
            model(r#"<body name="massless"><joint/></body>"#, ""),
            vec!["body 'massless'", "mass"],
        ),
        (
            model(r#"<geom name="big" size="1e999"/>"#, ""),
            vec!["geom 'big'", "size"],
        ),
        (
            model("", r#"<option timestep="-1"/>"#),
            vec!["option", "timestep"],
        ),
        (
            r#"<robot name="r"><link name="a"/></robot>"#.to_string(),
            vec!["<robot>", "URDF"],
        ),
    ];
    for (text, parts) in cases {
        assert_names(&error_of(&text), &parts);
    }
}

#[test]
fn an_unreadable_file_is_an_io_error_naming_it() {
    let msg = read_mjcf_file(Path::new("/no/such/dir/scene.xml"))
        .expect_err("missing")
        .to_string();
    assert!(msg.contains("/no/such/dir/scene.xml"), "{msg}");
}

fn real(rel: &str) -> (PathBuf, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty")
        .join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()));
    (path, text)
}

/// Byte spans of the numbers in `text`.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let mut start = i;
            if start > 0 && bytes[start - 1] == b'-' {
                start -= 1;
            }
            while i < bytes.len() && (bytes[i].is_ascii_digit() || b".eE+-".contains(&bytes[i])) {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Applies mutation `kind` to `text` at positions drawn from `a` and `b`.
fn mutate(text: &str, kind: u8, a: usize, b: usize, replacement: &str) -> String {
    let bytes = text.as_bytes();
    let n = bytes.len().max(1);
    let (i, j) = {
        let (x, y) = (a % n, b % n);
        (x.min(y), x.max(y).min(x.min(y) + 400))
    };
    let out: Vec<u8> = match kind {
        0 => [&bytes[..i], &bytes[j..]].concat(),
        1 => [&bytes[..j], &bytes[i..j], &bytes[j..]].concat(),
        2 => {
            let spans = number_spans(text);
            if spans.is_empty() {
                bytes.to_vec()
            } else {
                let (s, e) = spans[a % spans.len()];
                [&bytes[..s], replacement.as_bytes(), &bytes[e..]].concat()
            }
        }
        _ => bytes[..i].to_vec(),
    };
    String::from_utf8_lossy(&out).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Deleting or duplicating a byte range, replacing a number by a bad one, or truncating
    /// a real scene never panics the importer (it may still import: many edits are harmless).
    #[test]
    fn mutated_real_scenes_never_panic(
        file in 0usize..3,
        kind in 0u8..4,
        a in any::<usize>(),
        b in any::<usize>(),
        replacement in prop::sample::select(vec!["nan", "-1", "1e999", "", "inf", "0", "1 2 3 4 5 6 7"]),
    ) {
        let rel = [
            "aloha/bimanual_viperx_transfer_cube.xml",
            "gymnasium_robotics/hand/manipulate_block.xml",
            "aloha/vx300s_left.xml",
        ][file];
        let (path, text) = real(rel);
        let mutated = mutate(&text, kind, a, b, replacement);
        // vx300s_left.xml is an include: wrap it the way the scene does.
        let mutated = if file == 2 {
            format!("<mujoco><include file=\"vx300s_dependencies.xml\"/><worldbody>{mutated}</worldbody></mujoco>")
        } else {
            mutated
        };
        let result = parse_mjcf_str(&mutated, &path);
        if let Err(e) = result {
            let msg = e.to_string();
            prop_assert!(msg.contains(".xml"), "error without a file: {}", msg);
        }
    }
}
