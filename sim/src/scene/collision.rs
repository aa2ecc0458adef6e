//! Who collides with whom in a [`super::Scene`].
//!
//! Two layers decide whether a pair of colliders makes contact:
//! 1. **Rapier interaction groups** (cheap, in the broad phase), from [`CollisionRules`]: static
//!    geometry, free objects and each articulation own one bit; an articulation's filter holds
//!    static geometry, objects (`robot_object`), the other articulations (`robot_robot`) and its
//!    own bit when its self-collision is on. Both sides must agree (Rapier's `And` test).
//! 2. **A contact filter hook**, only on colliders that need it: MuJoCo's `contype`/`conaffinity`
//!    masks (shapes whose masks differ from the default), `<contact><exclude>` body pairs and
//!    `<contact><pair>` geom pairs, which force a pair to collide whatever the masks say.
//!
//! Bodies joined by a joint never collide (Rapier's `contacts_enabled(false)` on every joint), as
//! in MuJoCo's parent-child filter.

use rapier3d::prelude::*;
use robots::ContactMask;
use std::collections::HashSet;

/// Group bit of static geometry (ground, terrain, walls, tables).
pub(crate) const STATIC_BIT: u32 = 1 << 0;
/// Group bit of free objects.
pub(crate) const OBJECT_BIT: u32 = 1 << 1;
/// Group bit of colliders named in a `<contact><pair>`: lets the pair reach the filter hook.
pub(crate) const PAIR_BIT: u32 = 1 << 31;
/// First bit of the articulations; articulation `i` owns bit `2 + i % 29`.
const FIRST_ROBOT_BIT: u32 = 2;
const ROBOT_BITS: u32 = 29;

/// Group bit of articulation `index`.
pub(crate) fn robot_bit(index: usize) -> u32 {
    1 << (FIRST_ROBOT_BIT + (index as u32 % ROBOT_BITS))
}

/// Bits of every articulation.
fn all_robot_bits() -> u32 {
    ((1u32 << ROBOT_BITS) - 1) << FIRST_ROBOT_BIT
}

/// Which classes of bodies collide.
#[derive(Debug, Clone, PartialEq)]
pub struct CollisionRules {
    /// Articulations collide with each other (two arms over one table).
    pub robot_robot: bool,
    /// Articulations collide with free objects.
    pub robot_object: bool,
    /// Self-collision of each articulation (index order); missing entries use
    /// `self_collision_default`.
    pub self_collision: Vec<bool>,
    /// Self-collision of articulations not listed in `self_collision`.
    pub self_collision_default: bool,
}

impl CollisionRules {
    /// legged_gym's rule for one walking robot: it touches the ground and objects, never itself.
    pub fn legged() -> Self {
        Self {
            robot_robot: true,
            robot_object: true,
            self_collision: Vec::new(),
            self_collision_default: false,
        }
    }

    /// MuJoCo's rule: everything may collide (the masks in the file then decide), including an
    /// articulation with itself.
    pub fn mujoco() -> Self {
        Self {
            robot_robot: true,
            robot_object: true,
            self_collision: Vec::new(),
            self_collision_default: true,
        }
    }

    fn self_collides(&self, index: usize) -> bool {
        self.self_collision
            .get(index)
            .copied()
            .unwrap_or(self.self_collision_default)
    }

    /// Interaction groups of static geometry.
    pub(crate) fn static_groups(&self) -> InteractionGroups {
        groups(STATIC_BIT, OBJECT_BIT | all_robot_bits())
    }

    /// Interaction groups of a free object.
    pub(crate) fn object_groups(&self) -> InteractionGroups {
        let mut filter = STATIC_BIT | OBJECT_BIT;
        if self.robot_object {
            filter |= all_robot_bits();
        }
        groups(OBJECT_BIT, filter)
    }

    /// Interaction groups of a collider of articulation `index`.
    pub(crate) fn robot_groups(&self, index: usize) -> InteractionGroups {
        let own = robot_bit(index);
        let mut filter = STATIC_BIT;
        if self.robot_object {
            filter |= OBJECT_BIT;
        }
        if self.robot_robot {
            filter |= all_robot_bits() & !own;
        }
        if self.self_collides(index) {
            filter |= own;
        }
        groups(own, filter)
    }
}

fn groups(memberships: u32, filter: u32) -> InteractionGroups {
    InteractionGroups::new(
        Group::from_bits_truncate(memberships),
        Group::from_bits_truncate(filter),
        InteractionTestMode::And,
    )
}

/// Adds the pair bit to groups (both membership and filter), so that forced pairs pass the
/// broad phase and reach the hook.
pub(crate) fn with_pair_bit(g: InteractionGroups) -> InteractionGroups {
    groups(g.memberships.bits() | PAIR_BIT, g.filter.bits() | PAIR_BIT)
}

/// Packs what the hook needs into a collider's `user_data`: the MuJoCo masks and a scene-wide
/// body id.
pub(crate) fn pack_user_data(mask: ContactMask, body_id: u32) -> u128 {
    (mask.contype as u128) | ((mask.conaffinity as u128) << 32) | ((body_id as u128) << 64)
}

fn unpack(user_data: u128) -> (ContactMask, u32) {
    (
        ContactMask {
            contype: user_data as u32,
            conaffinity: (user_data >> 32) as u32,
        },
        (user_data >> 64) as u32,
    )
}

/// A collider pair in a canonical order (set keys).
pub(crate) fn ordered(a: ColliderHandle, b: ColliderHandle) -> (ColliderHandle, ColliderHandle) {
    if a.into_raw_parts() <= b.into_raw_parts() {
        (a, b)
    } else {
        (b, a)
    }
}

/// The contact filter hook (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct ContactFilter {
    /// Body-id pairs that never collide (smaller id first).
    pub excluded_bodies: HashSet<(u32, u32)>,
    /// Collider pairs that always collide (smaller handle first).
    pub forced_pairs: HashSet<(ColliderHandle, ColliderHandle)>,
}

impl ContactFilter {
    /// Whether the scene needs the hook at all.
    pub fn is_active(&self, any_custom_mask: bool) -> bool {
        any_custom_mask || !self.excluded_bodies.is_empty() || !self.forced_pairs.is_empty()
    }

    fn decide(&self, c1: ColliderHandle, u1: u128, c2: ColliderHandle, u2: u128) -> bool {
        if self.forced_pairs.contains(&ordered(c1, c2)) {
            return true;
        }
        let (m1, b1) = unpack(u1);
        let (m2, b2) = unpack(u2);
        let body_key = if b1 < b2 { (b1, b2) } else { (b2, b1) };
        if self.excluded_bodies.contains(&body_key) {
            return false;
        }
        m1.allows(&m2)
    }
}

impl PhysicsHooks for ContactFilter {
    fn filter_contact_pair(&self, context: &PairFilterContext) -> Option<SolverFlags> {
        let c1 = &context.colliders[context.collider1];
        let c2 = &context.colliders[context.collider2];
        self.decide(
            context.collider1,
            c1.user_data,
            context.collider2,
            c2.user_data,
        )
        .then_some(SolverFlags::COMPUTE_RIGID_IMPULSES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legged_robots_touch_the_ground_and_each_other_but_not_themselves() {
        let rules = CollisionRules::legged();
        let (a, b, ground) = (
            rules.robot_groups(0),
            rules.robot_groups(1),
            rules.static_groups(),
        );
        assert!(a.test(ground) && ground.test(a));
        assert!(a.test(b));
        assert!(!a.test(a), "no self-collision");
        assert!(
            !ground.test(ground),
            "static geometry never collides with itself"
        );
        let mut mujoco = CollisionRules::mujoco();
        assert!(mujoco.robot_groups(0).test(mujoco.robot_groups(0)));
        mujoco.self_collision = vec![false];
        assert!(!mujoco.robot_groups(0).test(mujoco.robot_groups(0)));
        mujoco.robot_object = false;
        assert!(!mujoco.robot_groups(0).test(mujoco.object_groups()));
        assert!(mujoco.object_groups().test(mujoco.object_groups()));
    }

    #[test]
    fn the_hook_applies_mujoco_masks_excludes_and_forced_pairs() {
        // The Shadow hand's collision geoms: contype 1, conaffinity 0; objects: 1/1.
        let hand = ContactMask {
            contype: 1,
            conaffinity: 0,
        };
        let object = ContactMask::default();
        let mut filter = ContactFilter::default();
        let h = |i: u32| ColliderHandle::from_raw_parts(i, 0);
        let (f1, f2, cube) = (
            pack_user_data(hand, 1),
            pack_user_data(hand, 2),
            pack_user_data(object, 3),
        );
        assert!(
            !filter.decide(h(0), f1, h(1), f2),
            "finger-finger masked off"
        );
        assert!(filter.decide(h(0), f1, h(2), cube), "finger-cube collides");
        filter.forced_pairs.insert(ordered(h(0), h(1)));
        assert!(filter.decide(h(1), f2, h(0), f1), "a <pair> forces contact");
        filter.excluded_bodies.insert((1, 3));
        assert!(
            !filter.decide(h(2), cube, h(0), f1),
            "an <exclude> wins over masks"
        );
    }
}
