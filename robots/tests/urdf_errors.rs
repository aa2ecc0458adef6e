//! Bad URDF input gets a clear error naming the file and the element, never a panic.

use proptest::prelude::*;
use robots::{RobotError, parse_urdf_str, read_urdf_file};
use std::path::Path;

const GOOD: &str = r#"<robot name="two_link">
  <link name="base">
    <inertial><mass value="1.0"/><inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/></inertial>
    <collision><geometry><box size="0.2 0.1 0.1"/></geometry></collision>
  </link>
  <link name="arm">
    <inertial><origin xyz="0 0 -0.1"/><mass value="0.5"/><inertia ixx="0.001" ixy="0" ixz="0" iyy="0.001" iyz="0" izz="0.001"/></inertial>
    <collision><origin xyz="0 0 -0.1"/><geometry><cylinder radius="0.02" length="0.2"/></geometry></collision>
  </link>
  <link name="tip">
    <inertial><mass value="0.1"/><inertia ixx="0.0001" ixy="0" ixz="0" iyy="0.0001" iyz="0" izz="0.0001"/></inertial>
    <collision><geometry><sphere radius="0.02"/></geometry></collision>
  </link>
  <joint name="shoulder" type="revolute">
    <parent link="base"/><child link="arm"/><origin xyz="0.1 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-1" upper="1" effort="10" velocity="5"/>
  </joint>
  <joint name="tip_fixed" type="fixed">
    <parent link="arm"/><child link="tip"/><origin xyz="0 0 -0.2"/>
  </joint>
</robot>"#;

fn parse(text: &str) -> Result<robots::RobotSpec, RobotError> {
    parse_urdf_str(text, Path::new("robot_under_test.urdf"))
}

fn error_of(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn good_urdf_merges_fixed_joints_and_keeps_mass() {
    let spec = parse(GOOD).expect("valid URDF");
    assert_eq!(spec.bodies.len(), 2, "tip is merged into arm");
    assert_eq!(spec.joint_names(), vec!["shoulder"]);
    assert!((spec.total_mass() - 1.6).abs() < 1e-12);
    let (body, pose) = spec.find_link("tip").expect("tip is found");
    assert_eq!(body, 1);
    assert!((pose.translation.vector.z + 0.2).abs() < 1e-12);
    // Arm + tip centre of mass: (0.5 * -0.1 + 0.1 * -0.2) / 0.6
    assert!((spec.bodies[1].com_b.z - (-0.07 / 0.6)).abs() < 1e-12);
}

#[test]
fn malformed_xml_names_the_file() {
    let msg = error_of("<robot name=\"x\"><link name=\"a\"></robot");
    assert!(
        msg.contains("robot_under_test.urdf") && msg.contains("malformed URDF"),
        "{msg}"
    );
}

#[test]
fn missing_link_names_the_joint_and_the_link() {
    let msg = error_of(&GOOD.replace("<child link=\"tip\"/>", "<child link=\"nowhere\"/>"));
    assert!(
        msg.contains("joint 'tip_fixed'") && msg.contains("'nowhere' does not exist"),
        "{msg}"
    );
}

#[test]
fn joint_cycle_is_refused() {
    let cyclic = GOOD.replace(
        "</robot>",
        r#"<joint name="back" type="fixed"><parent link="tip"/><child link="base"/></joint></robot>"#,
    );
    let msg = error_of(&cyclic);
    assert!(
        msg.contains("cycle") && msg.contains("robot_under_test.urdf"),
        "{msg}"
    );
}

#[test]
fn second_parent_is_refused() {
    let two_parents = GOOD.replace(
        "</robot>",
        r#"<joint name="again" type="fixed"><parent link="base"/><child link="tip"/></joint></robot>"#,
    );
    let msg = error_of(&two_parents);
    assert!(
        msg.contains("joint 'again'") && msg.contains("only one parent"),
        "{msg}"
    );
}

#[test]
fn negative_mass_names_the_link() {
    let msg = error_of(&GOOD.replace("<mass value=\"0.5\"/>", "<mass value=\"-0.5\"/>"));
    assert!(
        msg.contains("link 'arm'") && msg.contains("negative mass"),
        "{msg}"
    );
}

#[test]
fn unknown_joint_type_is_refused() {
    let msg = error_of(&GOOD.replace("type=\"revolute\"", "type=\"hinge\""));
    assert!(
        msg.contains("robot_under_test.urdf") && msg.contains("hinge"),
        "{msg}"
    );
}

#[test]
fn unsupported_joint_type_names_the_joint() {
    let msg = error_of(&GOOD.replace("type=\"revolute\"", "type=\"planar\""));
    assert!(
        msg.contains("joint 'shoulder'") && msg.contains("not supported"),
        "{msg}"
    );
}

#[test]
fn nan_numbers_name_the_element() {
    let msg = error_of(&GOOD.replace("<origin xyz=\"0.1 0 0\"/>", "<origin xyz=\"NaN 0 0\"/>"));
    assert!(
        msg.contains("joint 'shoulder'") && msg.contains("finite"),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("<sphere radius=\"0.02\"/>", "<sphere radius=\"nan\"/>"));
    assert!(
        msg.contains("link 'tip'") && msg.contains("radius"),
        "{msg}"
    );
    let msg = error_of(&GOOD.replace("lower=\"-1\"", "lower=\"inf\""));
    assert!(msg.contains("joint 'shoulder'"), "{msg}");
}

#[test]
fn inverted_limits_name_the_joint() {
    let msg = error_of(&GOOD.replace("lower=\"-1\" upper=\"1\"", "lower=\"1\" upper=\"-1\""));
    assert!(
        msg.contains("joint 'shoulder'") && msg.contains("above upper"),
        "{msg}"
    );
}

#[test]
fn absent_file_names_the_path() {
    let err = read_urdf_file(Path::new("/nonexistent/dir/robot.urdf")).expect_err("no such file");
    assert!(
        err.to_string().contains("/nonexistent/dir/robot.urdf"),
        "{err}"
    );
}

#[test]
fn third_party_robots_import() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/thirdparty/legged_gym");
    let a1 = read_urdf_file(&shared.join("a1/a1.urdf")).expect("A1 imports");
    assert_eq!(a1.num_joints(), 12);
    let anymal = read_urdf_file(&shared.join("anymal_c/anymal_c.urdf")).expect("ANYmal C imports");
    assert_eq!(anymal.num_joints(), 12);
    // Both are left-right symmetric: every joint has a counterpart, abduction flips sign.
    for (robot, abduction) in [(&a1, "hip"), (&anymal, "HAA")] {
        let m = robots::joint_mirror(robot).unwrap_or_else(|e| panic!("{}: {e}", robot.name));
        assert!(m.is_involution(), "{}", robot.name);
        for (i, joint) in robot.joints.iter().enumerate() {
            assert_ne!(m.index[i], i, "{} pairs with itself", joint.name);
            let expected = if joint.name.contains(abduction) {
                -1.0
            } else {
                1.0
            };
            assert_eq!(m.sign[i], expected, "{}", joint.name);
        }
    }
}

/// One edit of the URDF text: delete, duplicate or replace a span.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let n = chars.len().max(1);
        match e {
            Edit::Delete(at, len) => {
                let at = at % n;
                let end = (at + len).min(chars.len());
                chars.drain(at..end);
            }
            Edit::Insert(at, s) => {
                let at = at % n;
                for (k, c) in s.chars().enumerate() {
                    chars.insert((at + k).min(chars.len()), c);
                }
            }
            Edit::Replace(at, c) => {
                if !chars.is_empty() {
                    let at = at % chars.len();
                    chars[at] = *c;
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(a, l)| Edit::Delete(a, l)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "<", ">", "\"", "/>", "-1", "nan", "1e999", "<link name=\"base\"/>", "type=\"x\"",
                "<joint name=\"j\" type=\"fixed\"><parent link=\"tip\"/><child link=\"base\"/></joint>",
                " ", "0", "</robot>", "&amp;", "\u{0}",
            ])
        )
            .prop_map(|(a, s)| Edit::Insert(a, s.to_string())),
        (any::<usize>(), any::<char>()).prop_map(|(a, c)| Edit::Replace(a, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Mutated URDFs either import or give an error naming the file; the importer never panics.
    #[test]
    fn mutated_urdf_never_panics(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(GOOD, &edits);
        if let Err(e) = parse(&text) {
            prop_assert!(e.to_string().contains("robot_under_test.urdf"));
        }
    }
}
