//! `<default>` classes: nested classes inherit their parent's attributes and override them; an
//! element uses its own `class`, else the `childclass` of the nearest enclosing body that has
//! one, else the top-level class `main`.

use super::attrs::{AttrMap, Attrs, ORIENTATION_KEYS};
use super::xml::{Document, Elem};
use crate::error::RobotError;
use std::collections::HashMap;

/// The name of the top-level default class.
pub(crate) const MAIN: &str = "main";

/// Actuator element names: MuJoCo keeps one actuator default per class, which every actuator
/// shortcut (`<general>`, `<position>`, ...) in a `<default>` writes to.
const ACTUATOR_TAGS: [&str; 10] = [
    "general",
    "motor",
    "position",
    "velocity",
    "intvelocity",
    "damper",
    "cylinder",
    "muscle",
    "adhesion",
    "plugin",
];

/// The defaults kind an element of tag `tag` reads.
pub(crate) fn kind_of(tag: &str) -> &str {
    if ACTUATOR_TAGS.contains(&tag) {
        "actuator"
    } else if tag == "fixed" || tag == "spatial" {
        "tendon"
    } else {
        tag
    }
}

/// Every default class, each with its fully inherited attributes per element kind.
#[derive(Debug, Default)]
pub(crate) struct Defaults {
    classes: HashMap<String, HashMap<String, AttrMap>>,
}

impl Defaults {
    /// Reads every top-level `<default>` (several, from includes, merge into `main`).
    pub fn read(doc: &Document) -> Result<Self, RobotError> {
        let mut d = Defaults::default();
        for elem in doc.root.children_named("default") {
            d.read_class(doc, elem, &HashMap::new(), true)?;
        }
        Ok(d)
    }

    fn read_class(
        &mut self,
        doc: &Document,
        elem: &Elem,
        inherited: &HashMap<String, AttrMap>,
        top_level: bool,
    ) -> Result<(), RobotError> {
        let name = match elem.attr("class") {
            Some(c) => c.to_string(),
            None if top_level => MAIN.to_string(),
            None => return Err(doc.err(elem, "a nested <default> needs a 'class' attribute")),
        };
        let mut maps = if top_level {
            self.classes.get(&name).cloned().unwrap_or_default()
        } else {
            if self.classes.contains_key(&name) {
                return Err(doc.err(elem, format!("default class '{name}' is defined twice")));
            }
            inherited.clone()
        };
        for child in elem.children.iter().filter(|c| c.tag != "default") {
            let map = maps.entry(kind_of(&child.tag).to_string()).or_default();
            if ORIENTATION_KEYS.iter().any(|k| child.attr(k).is_some()) {
                map.retain(|(k, _)| !ORIENTATION_KEYS.contains(&k.as_str()));
            }
            for (k, v) in &child.attrs {
                match map.iter_mut().find(|(key, _)| key == k) {
                    Some(slot) => slot.1 = v.clone(),
                    None => map.push((k.clone(), v.clone())),
                }
            }
        }
        self.classes.insert(name.clone(), maps.clone());
        for nested in elem.children_named("default") {
            self.read_class(doc, nested, &maps, false)?;
        }
        Ok(())
    }

    /// Whether class `name` exists (`main` always does).
    pub fn has_class(&self, name: &str) -> bool {
        name == MAIN || self.classes.contains_key(name)
    }

    /// `elem`'s attributes over its class's defaults for `kind`; `inherited` is the childclass in
    /// force (or [`MAIN`]). An unknown class is an error naming the element.
    pub fn attrs<'a>(
        &'a self,
        doc: &'a Document,
        elem: &'a Elem,
        inherited: &str,
    ) -> Result<Attrs<'a>, RobotError> {
        let class = elem.attr("class").unwrap_or(inherited);
        if !self.has_class(class) {
            return Err(doc.err(elem, format!("unknown default class '{class}'")));
        }
        let map = self
            .classes
            .get(class)
            .and_then(|c| c.get(kind_of(&elem.tag)));
        Ok(Attrs::new(elem, map, doc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mjcf::xml::load;
    use std::path::Path;

    fn doc(text: &str) -> Document {
        load(text, Path::new("d.xml")).expect("parses")
    }

    #[test]
    fn nested_classes_inherit_and_override() {
        let d = doc(r#"<mujoco><default>
            <geom friction="0.5" contype="3"/>
            <default class="a"><geom contype="7"/><default class="b"><geom friction="0.9"/></default></default>
          </default><worldbody><geom class="b"/><geom/></worldbody></mujoco>"#);
        let defaults = Defaults::read(&d).expect("defaults");
        let world = &d.root.children[1];
        let g0 = defaults
            .attrs(&d, &world.children[0], MAIN)
            .expect("class b");
        assert_eq!(g0.get("friction"), Some("0.9"));
        assert_eq!(g0.get("contype"), Some("7"));
        let g1 = defaults.attrs(&d, &world.children[1], MAIN).expect("main");
        assert_eq!(g1.get("contype"), Some("3"));
        let g1_in_a = defaults.attrs(&d, &world.children[1], "a").expect("a");
        assert_eq!(g1_in_a.get("contype"), Some("7"));
        assert_eq!(g1_in_a.get("friction"), Some("0.5"));
    }

    #[test]
    fn an_own_orientation_hides_the_default_one() {
        let d = doc(r#"<mujoco><default><geom euler="0 0 1"/></default>
            <worldbody><geom quat="1 0 0 0"/><geom/></worldbody></mujoco>"#);
        let defaults = Defaults::read(&d).expect("defaults");
        let world = &d.root.children[1];
        let own = defaults.attrs(&d, &world.children[0], MAIN).expect("ok");
        assert_eq!(own.get("euler"), None);
        let inherited = defaults.attrs(&d, &world.children[1], MAIN).expect("ok");
        assert_eq!(inherited.get("euler"), Some("0 0 1"));
    }

    #[test]
    fn unknown_class_is_an_error() {
        let d = doc(r#"<mujoco><worldbody><geom class="nope"/></worldbody></mujoco>"#);
        let defaults = Defaults::read(&d).expect("defaults");
        let e = defaults
            .attrs(&d, &d.root.children[0].children[0], MAIN)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("nope") && e.contains("geom (line 1)"), "{e}");
    }
}
